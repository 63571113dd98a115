using Lait.Store.Codec;
using Lait.Store.Ids;
using Microsoft.Extensions.Logging;

namespace Lait.Store;

/// <summary>Thread-safe operation counters and the decode step shared by the backends.</summary>
internal sealed class StoreCounters
{
    private long _puts, _putsAlreadyPresent, _gets, _hits, _misses, _deletes, _corrupt, _bytesWritten;

    public void Put(int bytes)
    {
        Interlocked.Increment(ref _puts);
        Interlocked.Add(ref _bytesWritten, bytes);
    }

    public void PutAlreadyPresent()
    {
        Interlocked.Increment(ref _puts);
        Interlocked.Increment(ref _putsAlreadyPresent);
    }

    public void Delete() => Interlocked.Increment(ref _deletes);

    public StoreStats Snapshot(string backend, long sizeBytes) => new(backend,
        Interlocked.Read(ref _puts), Interlocked.Read(ref _putsAlreadyPresent), Interlocked.Read(ref _gets),
        Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _deletes),
        Interlocked.Read(ref _corrupt), Interlocked.Read(ref _bytesWritten), sizeBytes);

    /// <summary>Decodes and validates records read for ids; a corrupt record is logged and thrown, never returned.</summary>
    public static GetManyResult DecodeAll(IReadOnlyList<SegmentId> ids, IReadOnlyList<ReadOnlyMemory<byte>?> records,
        StoreCounters counters, ILogger? logger, string backend)
    {
        var states = new SegmentState?[ids.Count];
        var missing = new List<SegmentId>();
        for (int i = 0; i < ids.Count; i++)
        {
            Interlocked.Increment(ref counters._gets);
            var record = records[i];
            if (record is null)
            {
                Interlocked.Increment(ref counters._misses);
                missing.Add(ids[i]);
                continue;
            }
            try
            {
                states[i] = StateRecord.Decode(ids[i], record.Value.Span);
                Interlocked.Increment(ref counters._hits);
            }
            catch (StoreCorruptionException e)
            {
                Interlocked.Increment(ref counters._corrupt);
                logger?.LogError("{Backend} store: corrupt record for {Id}: {Reason}", backend, e.Id, e.Reason);
                throw;
            }
        }
        return new GetManyResult(states, missing);
    }
}
