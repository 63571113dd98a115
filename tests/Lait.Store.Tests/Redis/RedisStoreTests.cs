using System.Diagnostics;
using Lait.Store.Redis;
using Lait.Store.Tests.Support;
using StackExchange.Redis;
using Xunit;

namespace Lait.Store.Tests.Redis;

/// <summary>Redis-only behaviour: outages, reconnection, cluster-compatible keys, TTL, server memory limit.</summary>
public class RedisStoreTests
{
    [RedisFact]
    public async Task RedisDown_GivesStoreUnavailable_AndStoreReconnectsWhenItIsBack()
    {
        using var server = new RedisServer();
        await using var store = await RedisSegmentStore.ConnectAsync(RedisContractTests.Options(server.Configuration, "down"));
        var before = TestStates.State(1, 4, 16);
        await store.PutAsync(before);

        server.Kill();
        var e = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetManyAsync([before.Key.ComputeId()]));
        Assert.Contains("Redis", e.Message);
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.PutAsync(TestStates.State(2, 4, 16)));

        server.Start(); // same port, empty (no persistence configured)
        var after = TestStates.State(3, 4, 16);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await store.PutAsync(after);
                break;
            }
            catch (StoreUnavailableException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
        Assert.Equal(after.Values, (await store.GetManyAsync([after.Key.ComputeId()])).States[0]!.Values);
    }

    [RedisFact]
    public async Task UnreachableAtStart_ConnectSucceeds_CallsFailAsUnavailable()
    {
        int port;
        using (var server = new RedisServer())
            port = server.Port; // now stopped: nothing listens there
        await using var store = await RedisSegmentStore.ConnectAsync(RedisContractTests.Options($"127.0.0.1:{port}", "none") with
        {
            Timeout = TimeSpan.FromMilliseconds(500),
        });
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.ExistsAsync(TestStates.Key(1, 3).ComputeId()));
    }

    [RedisFact]
    public async Task Keys_UseOneHashTagPerIdAndPerNamespace()
    {
        using var server = new RedisServer();
        await using var store = await RedisSegmentStore.ConnectAsync(RedisContractTests.Options(server.Configuration, "lait"));
        var id = (await store.PutAsync(TestStates.State(4, 4, 16))).Id;
        await store.PutNameAsync("docs", "x", id);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true");
        // KEYS through ExecuteAsync: the client's synchronous SCAN (IServer.Keys) blocks a thread-pool
        // thread and timed out on a busy 2-core machine with the reply already in its buffer.
        var reply = (RedisResult[])(await connection.GetDatabase().ExecuteAsync("KEYS", "*"))!;
        var keys = reply.Select(k => (string)k!).Order().ToArray();
        Assert.Equal(new[] { $"lait:ns:{{docs}}:ids", $"lait:ns:{{docs}}:order", $"lait:{{{id}}}:state" }.Order().ToArray(), keys);
    }

    [RedisFact]
    public async Task StateTimeToLive_SetsExpiryOnStatesOnly()
    {
        using var server = new RedisServer();
        await using var store = await RedisSegmentStore.ConnectAsync(RedisContractTests.Options(server.Configuration, "ttl") with
        {
            StateTimeToLive = TimeSpan.FromMinutes(5),
        });
        var id = (await store.PutAsync(TestStates.State(5, 4, 16))).Id;
        await store.PutNameAsync("docs", "x", id);
        using var connection = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var ttl = await connection.GetDatabase().KeyTimeToLiveAsync($"ttl:{{{id}}}:state");
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        Assert.Null(await connection.GetDatabase().KeyTimeToLiveAsync("ttl:ns:{docs}:ids"));
    }

    [RedisFact]
    public async Task ServerMemoryLimit_GivesStoreFull_AndReadsStillWork()
    {
        using var server = new RedisServer();
        using (var admin = await ConnectionMultiplexer.ConnectAsync(server.Configuration + ",allowAdmin=true"))
        {
            var s = admin.GetServer(server.Configuration);
            await s.ConfigSetAsync("maxmemory-policy", "noeviction");
            await s.ConfigSetAsync("maxmemory", "3mb");
        }
        await using var store = await RedisSegmentStore.ConnectAsync(RedisContractTests.Options(server.Configuration, "oom"));
        var first = TestStates.State(6, 32, 384);
        await store.PutAsync(first);
        StoreFullException? full = null;
        for (int i = 0; i < 200 && full is null; i++)
        {
            try
            {
                await store.PutAsync(TestStates.State(1000 + i, 32, 384));
            }
            catch (StoreFullException e)
            {
                full = e;
            }
        }
        Assert.NotNull(full);
        Assert.Contains("out of memory", full!.Message);
        Assert.Equal(first.Values, (await store.GetManyAsync([first.Key.ComputeId()])).States[0]!.Values);
    }
}
