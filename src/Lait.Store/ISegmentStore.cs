using Lait.Store.Ids;

namespace Lait.Store;

/// <summary>
/// Segment-state store: content-addressed tower states plus client-chosen names (namespace + name
/// -&gt; id). Knows bytes and ids, not models. All methods are thread-safe.
/// Errors: <see cref="ArgumentException"/> for bad input (INVALID_ARGUMENT),
/// <see cref="StoreCorruptionException"/> (DATA_LOSS), <see cref="StoreUnavailableException"/>
/// (UNAVAILABLE), <see cref="StoreFullException"/> (RESOURCE_EXHAUSTED),
/// <see cref="OperationCanceledException"/> when the token fires.
/// </summary>
public interface ISegmentStore : IAsyncDisposable, IDisposable
{
    /// <summary>Largest encoded record this store accepts; see <see cref="Codec.StateRecord.EncodedLength"/>.</summary>
    int MaxRecordBytes { get; }

    /// <summary>
    /// Stores the state under <c>state.Key.ComputeId()</c>. Idempotent: if the id is already present the
    /// stored bytes are kept and <see cref="PutResult.AlreadyPresent"/> is true. Completes when the put is
    /// as durable as the store's durability mode promises.
    /// </summary>
    Task<PutResult> PutAsync(SegmentState state, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads many states; <see cref="GetManyResult.States"/> is in the order of <paramref name="ids"/>
    /// (null where missing), <see cref="GetManyResult.Missing"/> lists the missing ids in that order.
    /// Throws <see cref="StoreCorruptionException"/> if any found record fails validation.
    /// </summary>
    Task<GetManyResult> GetManyAsync(IReadOnlyList<SegmentId> ids, CancellationToken cancellationToken = default);

    /// <summary>Removes a state; true if it was present. Names pointing at it are not removed here; they
    /// dangle, and <see cref="NamedSegments"/> says what they mean.</summary>
    Task<bool> DeleteAsync(SegmentId id, CancellationToken cancellationToken = default);

    /// <summary>True if a record for the id is present (not validated; reads validate).</summary>
    Task<bool> ExistsAsync(SegmentId id, CancellationToken cancellationToken = default);

    StoreStats GetStats();

    /// <summary>Maps namespace + name to an id (overwrites). Durable like puts.</summary>
    Task PutNameAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default);

    /// <summary>The id a name maps to, or null.</summary>
    Task<SegmentId?> ResolveNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default);

    /// <summary>Removes a name; true if it existed.</summary>
    Task<bool> DeleteNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes a name only while it still points at <paramref name="id"/> (atomically); true if it did.
    /// For cleaning up a name whose segment is gone without racing a put that re-points it.
    /// </summary>
    Task<bool> DeleteNameIfAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Names of a namespace in ordinal (UTF-8 byte) order, at most <paramref name="pageSize"/> (1..1000)
    /// per page, starting after <paramref name="pageToken"/> (null or "" for the first page). Names are
    /// listed whether or not their segment is still stored (see <see cref="NamedSegments"/>).
    /// Throws <see cref="FormatException"/> for a page token this store did not issue for this namespace.
    /// </summary>
    Task<NamePage> ListNamesAsync(string nameSpace, int pageSize, string? pageToken, CancellationToken cancellationToken = default);
}

public readonly record struct PutResult(SegmentId Id, bool AlreadyPresent, int StoredBytes);

public sealed record GetManyResult(IReadOnlyList<SegmentState?> States, IReadOnlyList<SegmentId> Missing);

public sealed record NameEntry(string Name, SegmentId Id);

/// <summary>A page of names; <see cref="NextPageToken"/> is null on the last page.</summary>
public sealed record NamePage(IReadOnlyList<NameEntry> Names, string? NextPageToken);

/// <summary>Counters since open (this process), plus the backend's size: FASTER log bytes, Redis used_memory (-1 if unknown).</summary>
public sealed record StoreStats(
    string Backend,
    long Puts,
    long PutsAlreadyPresent,
    long Gets,
    long Hits,
    long Misses,
    long Deletes,
    long CorruptRecords,
    long BytesWritten,
    long SizeBytes);
