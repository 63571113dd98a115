using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Redis;
using Lait.Store.Tests.Contract;
using Lait.Store.Tests.Support;
using StackExchange.Redis;
using Xunit;

namespace Lait.Store.Tests.Redis;

/// <summary>One redis-server for the Redis contract tests; each test uses its own key prefix.</summary>
public sealed class RedisServerFixture : IDisposable
{
    public RedisServer? Server { get; } = RedisServer.ExecutablePath is null ? null : new RedisServer();

    public void Dispose() => Server?.Dispose();
}

/// <summary>The shared contract against a real redis-server (skipped where none is installed).</summary>
public sealed class RedisContractTests(RedisServerFixture fixture) : SegmentStoreContractTests, IClassFixture<RedisServerFixture>
{
    private readonly string _prefix = "t" + Guid.NewGuid().ToString("N")[..12];

    internal static RedisStoreOptions Options(string configuration, string prefix) => new()
    {
        Configuration = configuration,
        KeyPrefix = prefix,
        Codec = StateCodec.Fp32,
        MaxRecordBytes = 2 << 20,
        Timeout = TimeSpan.FromSeconds(2),
    };

    protected override async Task<ISegmentStore> CreateStoreAsync()
    {
        if (fixture.Server is null)
            return new SkippedStore();
        return await RedisSegmentStore.ConnectAsync(Options(fixture.Server.Configuration, _prefix));
    }

    protected override async Task CorruptStoredRecordAsync(SegmentId id)
    {
        using var connection = await ConnectionMultiplexer.ConnectAsync(fixture.Server!.Configuration);
        var db = connection.GetDatabase();
        RedisKey key = $"{_prefix}:{{{id}}}:state";
        var bytes = (byte[])(await db.StringGetAsync(key))!;
        bytes[200] ^= 0x40;
        await db.StringSetAsync(key, bytes);
    }

    /// <summary>Placeholder so the inherited facts fail clearly if run without redis-server.</summary>
    private sealed class SkippedStore : ISegmentStore
    {
        private static Exception Missing() => new InvalidOperationException("redis-server is not installed; install it with scripts/install-test-deps.sh");
        public int MaxRecordBytes => throw Missing();
        public Task<PutResult> PutAsync(SegmentState state, CancellationToken cancellationToken = default) => throw Missing();
        public Task<GetManyResult> GetManyAsync(IReadOnlyList<SegmentId> ids, CancellationToken cancellationToken = default) => throw Missing();
        public Task<bool> DeleteAsync(SegmentId id, CancellationToken cancellationToken = default) => throw Missing();
        public Task<bool> ExistsAsync(SegmentId id, CancellationToken cancellationToken = default) => throw Missing();
        public StoreStats GetStats() => throw Missing();
        public Task PutNameAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default) => throw Missing();
        public Task<SegmentId?> ResolveNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default) => throw Missing();
        public Task<bool> DeleteNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default) => throw Missing();
        public Task<bool> DeleteNameIfAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default) => throw Missing();
        public Task<NamePage> ListNamesAsync(string nameSpace, int pageSize, string? pageToken, CancellationToken cancellationToken = default) => throw Missing();
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
