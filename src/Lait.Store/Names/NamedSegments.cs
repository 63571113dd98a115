using Lait.Store.Ids;

namespace Lait.Store.Names;

/// <summary>
/// What a name means once its segment is gone. Segments are content-addressed, so two names given to
/// the same content point at one segment, and a segment can go away under its names: deleted by id or
/// through another of its names, evicted by the FASTER size bound, expired by a Redis TTL. Such a
/// dangling name is treated as absent everywhere (resolving it finds no state; listing skips it;
/// deleting it reports it not found, and removes it). Nothing else removes it: a listing that removed
/// the dangling names it meets could race a client storing the same content and name again and drop
/// a name that client was just acknowledged for. So a dangling name whose content is stored again is
/// live again.
/// </summary>
public static class NamedSegments
{
    /// <summary>Outcome of <see cref="DeleteSegmentsAsync"/>: indices into the request's ids and names.</summary>
    public sealed record DeleteOutcome(int Deleted, IReadOnlyList<int> NotFoundIds, IReadOnlyList<int> NotFoundNames);

    /// <summary>
    /// Deletes segments by id and by name. Every name given is removed together with the segment it points
    /// at. A name counts as found when it points at a segment that is stored when the call starts (so two
    /// names of one segment in one call are both found, and the segment counts once); a dangling name is
    /// removed and reported not found, like a name that does not exist. <see cref="DeleteOutcome.Deleted"/>
    /// counts the segments this call removed.
    /// </summary>
    public static async Task<DeleteOutcome> DeleteSegmentsAsync(this ISegmentStore store, IReadOnlyList<SegmentId> ids,
        IReadOnlyList<(string NameSpace, string Name)> names, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(names);
        var resolved = new SegmentId?[names.Count];
        for (int i = 0; i < names.Count; i++)
            resolved[i] = await store.ResolveNameAsync(names[i].NameSpace, names[i].Name, cancellationToken).ConfigureAwait(false);

        // Which segments are stored before anything is removed.
        var stored = new Dictionary<SegmentId, bool>();
        foreach (var id in ids.Concat(resolved.Where(r => r.HasValue).Select(r => r!.Value)))
        {
            if (!stored.ContainsKey(id))
                stored[id] = await store.ExistsAsync(id, cancellationToken).ConfigureAwait(false);
        }

        var notFoundNames = new List<int>();
        var doomed = new HashSet<SegmentId>();
        for (int i = 0; i < names.Count; i++)
        {
            if (resolved[i] is not { } id)
            {
                notFoundNames.Add(i);
                continue;
            }
            await store.DeleteNameIfAsync(names[i].NameSpace, names[i].Name, id, cancellationToken).ConfigureAwait(false);
            if (stored[id]) doomed.Add(id);
            else notFoundNames.Add(i);
        }
        var notFoundIds = new List<int>();
        for (int i = 0; i < ids.Count; i++)
        {
            if (stored[ids[i]]) doomed.Add(ids[i]);
            else notFoundIds.Add(i);
        }
        int deleted = 0;
        foreach (var id in doomed)
        {
            if (await store.DeleteAsync(id, cancellationToken).ConfigureAwait(false))
                deleted++;
        }
        return new DeleteOutcome(deleted, notFoundIds, notFoundNames);
    }
}
