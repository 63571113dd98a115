using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Names;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Lait.Store.Redis;

/// <summary>
/// <see cref="ISegmentStore"/> on Redis, for several server replicas sharing one cache. Keys are Redis
/// Cluster compatible: each state lives alone in its slot (<c>{prefix}:{&lt;id hex&gt;}:state</c>, a
/// <see cref="StateRecord"/>), each namespace's two name keys share a slot
/// (<c>{prefix}:ns:{&lt;namespace&gt;}:ids</c> hash name-&gt;id, <c>...:order</c> sorted set for listing),
/// so no command spans slots. Puts are atomic SET NX. Durability is the server's (AOF/RDB settings).
/// While Redis is unreachable every call fails fast with <see cref="StoreUnavailableException"/>; the
/// connection is re-established in the background when it is back.
/// </summary>
public sealed class RedisSegmentStore : ISegmentStore
{
    private readonly RedisStoreOptions _options;
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _db;
    private readonly ILogger? _logger;
    private readonly StoreCounters _counters = new();
    private int _disposed;

    private RedisSegmentStore(RedisStoreOptions options, ConnectionMultiplexer connection)
    {
        _options = options;
        _connection = connection;
        _db = connection.GetDatabase();
        _logger = options.Logger;
        _connection.ConnectionFailed += (_, e) =>
            _logger?.LogWarning("Redis store: connection to {Endpoint} failed ({Failure})", e.EndPoint, e.FailureType);
        _connection.ConnectionRestored += (_, e) =>
            _logger?.LogInformation("Redis store: connection to {Endpoint} restored", e.EndPoint);
    }

    /// <summary>
    /// Connects to Redis. Succeeds even if Redis is down at that moment (calls then fail with
    /// <see cref="StoreUnavailableException"/> until it is reachable).
    /// </summary>
    public static async Task<RedisSegmentStore> ConnectAsync(RedisStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var config = ConfigurationOptions.Parse(options.Configuration);
        config.AbortOnConnectFail = false;
        int timeoutMs = (int)options.Timeout.TotalMilliseconds;
        config.ConnectTimeout = timeoutMs;
        config.SyncTimeout = timeoutMs;
        config.AsyncTimeout = timeoutMs; // the store only makes async calls
        config.ConnectRetry = 1;
        var connection = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        return new RedisSegmentStore(options, connection);
    }

    public int MaxRecordBytes => _options.MaxRecordBytes;

    public StateCodec Codec => _options.Codec;

    /// <summary>Whether the connection is currently up.</summary>
    public bool IsConnected => _connection.IsConnected;

    public async Task<PutResult> PutAsync(SegmentState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        cancellationToken.ThrowIfCancellationRequested();
        StateRecord.EnsureFits(state, _options.Codec, MaxRecordBytes, "");
        var record = StateRecord.Encode(state, _options.Codec, out var id);
        bool written = await Call(() => _db.StringSetAsync(StateKey(id), record, _options.StateTimeToLive, When.NotExists), cancellationToken)
            .ConfigureAwait(false);
        if (written)
            _counters.Put(record.Length);
        else
            _counters.PutAlreadyPresent();
        return new PutResult(id, !written, record.Length);
    }

    public async Task<GetManyResult> GetManyAsync(IReadOnlyList<SegmentId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        StoreLimits.CheckGetCount(ids.Count);
        var records = new ReadOnlyMemory<byte>?[ids.Count];
        if (ids.Count > 0)
        {
            // One GET per id (ids live in different cluster slots), sent as one pipelined batch.
            var reads = new Task<RedisValue>[ids.Count];
            await Call(async () =>
            {
                var batch = _db.CreateBatch();
                for (int i = 0; i < ids.Count; i++)
                    reads[i] = batch.StringGetAsync(StateKey(ids[i]));
                batch.Execute();
                await Task.WhenAll(reads).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < ids.Count; i++)
                // Careful: a null byte[] converts implicitly to an *empty* ReadOnlyMemory, so test IsNull explicitly.
                if (!reads[i].Result.IsNull)
                    records[i] = (byte[])reads[i].Result!;
        }
        return StoreCounters.DecodeAll(ids, records, _counters, _logger, "Redis");
    }

    public async Task<bool> DeleteAsync(SegmentId id, CancellationToken cancellationToken = default)
    {
        bool deleted = await Call(() => _db.KeyDeleteAsync(StateKey(id)), cancellationToken).ConfigureAwait(false);
        if (deleted)
            _counters.Delete();
        return deleted;
    }

    public Task<bool> ExistsAsync(SegmentId id, CancellationToken cancellationToken = default) =>
        Call(() => _db.KeyExistsAsync(StateKey(id)), cancellationToken);

    public StoreStats GetStats() => _counters.Snapshot("redis", -1);

    public async Task PutNameAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        var transaction = _db.CreateTransaction();
        var set = transaction.HashSetAsync(NamesKey(nameSpace), name, id.ToBytes());
        var order = transaction.SortedSetAddAsync(OrderKey(nameSpace), name, 0);
        await Call(() => transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(set, order).ConfigureAwait(false);
    }

    public async Task<SegmentId?> ResolveNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        var value = await Call(() => _db.HashGetAsync(NamesKey(nameSpace), name), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : ParseId(value, nameSpace, name);
    }

    public async Task<bool> DeleteNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        var transaction = _db.CreateTransaction();
        var removed = transaction.HashDeleteAsync(NamesKey(nameSpace), name);
        var order = transaction.SortedSetRemoveAsync(OrderKey(nameSpace), name);
        await Call(() => transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false);
        await order.ConfigureAwait(false);
        return await removed.ConfigureAwait(false);
    }

    public async Task<bool> DeleteNameIfAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        var transaction = _db.CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(NamesKey(nameSpace), name, id.ToBytes()));
        var removed = transaction.HashDeleteAsync(NamesKey(nameSpace), name);
        var order = transaction.SortedSetRemoveAsync(OrderKey(nameSpace), name);
        // Not committed (the name is gone or re-pointed): the queued commands are cancelled, never run.
        if (!await Call(() => transaction.ExecuteAsync(), cancellationToken).ConfigureAwait(false))
            return false;
        await order.ConfigureAwait(false);
        return await removed.ConfigureAwait(false);
    }

    public async Task<NamePage> ListNamesAsync(string nameSpace, int pageSize, string? pageToken, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidatePageSize(pageSize);
        var after = NameRules.ParsePageToken(nameSpace, pageToken);
        // ZRANGEBYLEX orders by bytes = UTF-8 = code points, the order NameRules defines.
        var names = await Call(() => _db.SortedSetRangeByValueAsync(OrderKey(nameSpace),
            after is null ? default : (RedisValue)after, default, after is null ? Exclude.None : Exclude.Start, Order.Ascending, 0, pageSize + 1),
            cancellationToken).ConfigureAwait(false);
        int count = Math.Min(names.Length, pageSize);
        if (count == 0)
            return new NamePage([], null);
        var fields = new RedisValue[count];
        Array.Copy(names, fields, count);
        var ids = await Call(() => _db.HashGetAsync(NamesKey(nameSpace), fields), cancellationToken).ConfigureAwait(false);
        var entries = new List<NameEntry>(count);
        for (int i = 0; i < count; i++)
        {
            // A name removed between the two reads is skipped.
            if (!ids[i].IsNull)
                entries.Add(new NameEntry(names[i]!, ParseId(ids[i], nameSpace, names[i]!)));
        }
        return new NamePage(entries, names.Length > pageSize ? NameRules.MakePageToken(nameSpace, names[count - 1]!) : null);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _connection.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
        _connection.Dispose();
    }

    private RedisKey StateKey(SegmentId id) => $"{_options.KeyPrefix}:{{{id}}}:state";
    private RedisKey NamesKey(string nameSpace) => $"{_options.KeyPrefix}:ns:{{{nameSpace}}}:ids";
    private RedisKey OrderKey(string nameSpace) => $"{_options.KeyPrefix}:ns:{{{nameSpace}}}:order";

    private static SegmentId ParseId(RedisValue value, string nameSpace, string name)
    {
        var bytes = (byte[])value!;
        if (bytes.Length != SegmentId.ByteLength)
            throw new StoreCorruptionException(default, $"name '{nameSpace}/{name}' maps to a {bytes.Length}-byte value, not an id");
        return SegmentId.FromBytes(bytes);
    }

    /// <summary>Runs a Redis call, mapping client failures to the store's exceptions.</summary>
    private async Task<T> Call<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed) != 0)
            throw new StoreUnavailableException("Redis store is closed.");
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var task = operation();
            return cancellationToken.CanBeCanceled
                ? await task.WaitAsync(_options.Timeout, cancellationToken).ConfigureAwait(false)
                : await task.WaitAsync(_options.Timeout).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            throw new StoreUnavailableException($"Redis is unreachable ({_options.Configuration}): {e.Message}", e);
        }
        catch (Exception e) when (e is RedisTimeoutException or TimeoutException)
        {
            throw new StoreUnavailableException($"Redis did not answer within {_options.Timeout.TotalSeconds:0.#} s: {e.Message}", e);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("OOM", StringComparison.Ordinal))
        {
            throw new StoreFullException($"Redis is out of memory (maxmemory reached, no eviction possible): {e.Message}");
        }
        catch (RedisServerException e) when (e.Message.StartsWith("LOADING", StringComparison.Ordinal) ||
                                             e.Message.StartsWith("READONLY", StringComparison.Ordinal) ||
                                             e.Message.StartsWith("MISCONF", StringComparison.Ordinal) ||
                                             e.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) ||
                                             e.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal))
        {
            throw new StoreUnavailableException($"Redis cannot serve the request now: {e.Message}", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new StoreUnavailableException("Redis store is closed.", e);
        }
    }

    private static void Validate(RedisStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Configuration);
        if (string.IsNullOrEmpty(options.KeyPrefix) || options.KeyPrefix.AsSpan().IndexOfAny('{', '}') >= 0)
            throw new ArgumentException("KeyPrefix must be non-empty and contain no '{' or '}'.", nameof(options));
        if (options.MaxRecordBytes < StateRecord.HeaderLength || options.MaxRecordBytes > 512 << 20)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRecordBytes, "MaxRecordBytes must be within Redis's 512 MB value limit.");
        if (options.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "Timeout must be positive.");
        StateRecord.PayloadLength(options.Codec, 1, 1);
    }
}
