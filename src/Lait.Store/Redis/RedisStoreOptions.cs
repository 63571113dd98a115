using Lait.Store.Codec;
using Microsoft.Extensions.Logging;

namespace Lait.Store.Redis;

/// <summary>Options of <see cref="RedisSegmentStore"/>.</summary>
public sealed record RedisStoreOptions
{
    /// <summary>StackExchange.Redis configuration string, e.g. "10.0.0.5:6379,password=..." or several endpoints.</summary>
    public required string Configuration { get; init; }

    /// <summary>Prefix of every key (lets several deployments share one Redis). No '{' or '}'.</summary>
    public string KeyPrefix { get; init; } = "lait";

    /// <summary>Codec for new states.</summary>
    public StateCodec Codec { get; init; } = StateCodec.Fp16;

    /// <summary>Largest encoded state accepted.</summary>
    public int MaxRecordBytes { get; init; } = 8 << 20;

    /// <summary>
    /// Optional expiry of each state (space policy on Redis is otherwise the server's: set maxmemory and an
    /// eviction policy such as allkeys-lru). Names never expire.
    /// </summary>
    public TimeSpan? StateTimeToLive { get; init; }

    /// <summary>Connect and per-operation timeout; an operation past it fails with <see cref="StoreUnavailableException"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    public ILogger? Logger { get; init; }
}
