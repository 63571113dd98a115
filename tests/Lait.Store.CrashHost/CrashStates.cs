using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.Ids;

namespace Lait.Store.CrashHost;

/// <summary>Deterministic states and store options shared with the crash test (linked source).</summary>
public static class CrashStates
{
    public const int Tokens = 16;
    public const int Hidden = 64;

    public static FasterStoreOptions Options(string directory) => new()
    {
        Directory = directory,
        Durability = DurabilityMode.Durable,
        Codec = StateCodec.Fp32,
        PageSizeBits = 18,
        MemoryBytes = 4L << 20,
        ReadCacheBytes = 0,
        IndexBytes = 1L << 20,
        SegmentSizeBits = 22,
        CommitInterval = TimeSpan.FromMilliseconds(2),
        CheckpointInterval = TimeSpan.FromMilliseconds(300),
        MinFreeDiskBytes = 1L << 20,
    };

    public static SegmentState State(long seed)
    {
        var rng = new Random((int)(seed ^ (seed >> 32)) * 7919 + 17);
        var tokens = new int[Tokens];
        for (int i = 0; i < Tokens; i++)
            tokens[i] = rng.Next(0, 30_000);
        tokens[0] = (int)(seed & 0x7FFFFFFF); // distinct keys for distinct seeds
        var values = new float[Tokens * Hidden];
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(rng.NextDouble() * 4 - 2);
        return new SegmentState(new SegmentKey("crash-model", 2, "crash-vocab", PositionMode.PerSegment, SegmentRole.Other, tokens), Hidden, values);
    }
}
