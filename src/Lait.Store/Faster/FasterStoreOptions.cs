using Lait.Store.Codec;
using Microsoft.Extensions.Logging;

namespace Lait.Store.Faster;

/// <summary>Options of <see cref="FasterSegmentStore"/>. Defaults suit one server with a few GB of states.</summary>
public sealed record FasterStoreOptions
{
    /// <summary>Store directory (created if absent); holds the lock file, the logs and the checkpoints.</summary>
    public required string Directory { get; init; }

    public DurabilityMode Durability { get; init; } = DurabilityMode.Durable;

    /// <summary>Group-commit period in <see cref="DurabilityMode.Durable"/> mode.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Period of full (index + log) checkpoints, which bound recovery time; in
    /// <see cref="DurabilityMode.Checkpoint"/> mode also the durability horizon. One more is taken at Dispose.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Codec for new states.</summary>
    public StateCodec Codec { get; init; } = StateCodec.Fp16;

    /// <summary>
    /// Space policy: size bound on the state log (on disk). When exceeded, the oldest log pages are
    /// evicted (FIFO by write time) down to 3/4 of the bound; their states read as missing afterwards.
    /// </summary>
    public long MaxLogBytes { get; init; } = 16L << 30;

    /// <summary>
    /// Log page size as a power of two (default 22 = 4 MiB). A record must fit in one page, so this sets
    /// <see cref="ISegmentStore.MaxRecordBytes"/> = page size - 1 KiB: with 4 MiB pages, e.g. 512 tokens x
    /// 1024 hidden in fp32 (2 MiB) or 1,900 x 1,024 in fp16.
    /// </summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>In-memory part of the state log (hot states); at least 4 pages.</summary>
    public long MemoryBytes { get; init; } = 256L << 20;

    /// <summary>Read cache for states read back from disk; 0 disables it. At least 2 pages when on.</summary>
    public long ReadCacheBytes { get; init; } = 64L << 20;

    /// <summary>Hash index size in bytes (64 bytes per bucket of 7 entries).</summary>
    public long IndexBytes { get; init; } = 16L << 20;

    /// <summary>Log file segment size as a power of two (default 30 = 1 GiB files).</summary>
    public int SegmentSizeBits { get; init; } = 30;

    /// <summary>
    /// Puts are refused with <see cref="StoreFullException"/> when free disk space would drop below this
    /// floor plus a reserve of <see cref="MemoryBytes"/> + 2 x <see cref="IndexBytes"/> (unflushed log and an
    /// index checkpoint). Needed because FASTER blocks rather than fails when a flush hits a full disk.
    /// </summary>
    public long MinFreeDiskBytes { get; init; } = 64L << 20;

    public ILogger? Logger { get; init; }
}
