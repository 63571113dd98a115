using System.Text;
using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Names;
using Microsoft.Extensions.Logging;

namespace Lait.Store.Faster;

/// <summary>
/// <see cref="ISegmentStore"/> on Microsoft FASTER: one FASTER log for states (key: 32-byte id, value:
/// a <see cref="StateRecord"/>) and a small one for names (key: UTF-8 namespace, 0, name; value: id),
/// both under <see cref="FasterStoreOptions.Directory"/>, which one process at a time may open.
/// Names are also held in memory (rebuilt from their log at open) for resolve and ordered listing.
/// </summary>
public sealed class FasterSegmentStore : ISegmentStore
{
    private const string LockFileName = "store.lock";

    private readonly FasterStoreOptions _options;
    private readonly FileStream _lock;
    private readonly FasterTable _states;
    private readonly FasterTable _names;
    private readonly ILogger? _logger;
    private readonly StoreCounters _counters = new();

    private readonly object _namesLock = new();
    private readonly Dictionary<string, NamespaceIndex> _nameIndex = new(StringComparer.Ordinal);
    private int _disposed;

    /// <summary>Opens (creating or recovering) the store in <see cref="FasterStoreOptions.Directory"/>.</summary>
    /// <exception cref="StoreOpenException">Directory not writable, held by another process, or recovery failed.</exception>
    public FasterSegmentStore(FasterStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        if (options.PageSizeBits is < 16 or > 28)
            throw new ArgumentOutOfRangeException(nameof(options), options.PageSizeBits, "PageSizeBits must be in 16..28.");
        if (options.CommitInterval <= TimeSpan.Zero || options.CheckpointInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "Commit and checkpoint intervals must be positive.");
        StateRecord.PayloadLength(options.Codec, 1, 1); // rejects unknown or unimplemented codecs now
        _options = options;
        _logger = options.Logger;
        MaxRecordBytes = (1 << options.PageSizeBits) - 1024;

        var directory = Path.GetFullPath(options.Directory);
        _lock = AcquireLock(directory);
        try
        {
            _states = new FasterTable("states", Path.Combine(directory, "states"), options.PageSizeBits, options.MemoryBytes,
                options.ReadCacheBytes, options.IndexBytes, options.SegmentSizeBits, options.Durability, options.CommitInterval,
                options.CheckpointInterval, options.MaxLogBytes, options.MinFreeDiskBytes, _logger);
            try
            {
                // Names are small: 64 KiB pages, 1 MiB in memory, no size bound.
                _names = new FasterTable("names", Path.Combine(directory, "names"), 16, 1 << 20, 0, 1 << 20, 26,
                    options.Durability, options.CommitInterval, options.CheckpointInterval, 0, options.MinFreeDiskBytes, _logger);
                LoadNames();
            }
            catch
            {
                _states.DisposeAsync().AsTask().GetAwaiter().GetResult();
                _names?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                throw;
            }
        }
        catch
        {
            _lock.Dispose();
            throw;
        }
        _logger?.LogInformation("Opened FASTER store {Directory} ({Durability}, codec {Codec}, max record {Max} bytes)",
            directory, options.Durability, options.Codec, MaxRecordBytes);
    }

    public int MaxRecordBytes { get; }

    public StateCodec Codec => _options.Codec;

    public async Task<PutResult> PutAsync(SegmentState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        cancellationToken.ThrowIfCancellationRequested();
        StateRecord.EnsureFits(state, _options.Codec, MaxRecordBytes, $" (one log page of 2^{_options.PageSizeBits})");
        var id = state.Key.ComputeId();
        var key = id.ToBytes();
        var existing = await _states.ReadManyAsync([key], cancellationToken).ConfigureAwait(false);
        if (existing[0].Found)
        {
            int storedBytes = existing[0].Length;
            existing[0].Return();
            _counters.PutAlreadyPresent();
            // The record may come from a put whose commit is still pending; wait for the next one.
            await _states.WaitForCommitAsync(cancellationToken).ConfigureAwait(false);
            return new PutResult(id, true, storedBytes);
        }
        var record = StateRecord.Encode(state, _options.Codec, out _);
        await _states.UpsertAsync(key, record, cancellationToken).ConfigureAwait(false);
        _counters.Put(record.Length);
        return new PutResult(id, false, record.Length);
    }

    public async Task<GetManyResult> GetManyAsync(IReadOnlyList<SegmentId> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        StoreLimits.CheckGetCount(ids.Count);
        var keys = new byte[ids.Count][];
        for (int i = 0; i < ids.Count; i++)
            keys[i] = ids[i].ToBytes();
        var records = await _states.ReadManyAsync(keys, cancellationToken).ConfigureAwait(false);
        try
        {
            var views = new ReadOnlyMemory<byte>?[records.Length];
            for (int i = 0; i < records.Length; i++)
            {
                if (records[i].Found)
                    views[i] = records[i].Memory;
            }
            return StoreCounters.DecodeAll(ids, views, _counters, _logger, "FASTER");
        }
        finally
        {
            FasterTable.ReturnAll(records);
        }
    }

    public async Task<bool> DeleteAsync(SegmentId id, CancellationToken cancellationToken = default)
    {
        var key = id.ToBytes();
        var existing = await _states.ReadManyAsync([key], cancellationToken).ConfigureAwait(false);
        bool found = existing[0].Found;
        FasterTable.ReturnAll(existing);
        if (!found)
            return false;
        await _states.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        _counters.Delete();
        return true;
    }

    public async Task<bool> ExistsAsync(SegmentId id, CancellationToken cancellationToken = default)
    {
        var existing = await _states.ReadManyAsync([id.ToBytes()], cancellationToken).ConfigureAwait(false);
        bool found = existing[0].Found;
        FasterTable.ReturnAll(existing);
        return found;
    }

    public StoreStats GetStats() => _counters.Snapshot("faster", _states.LogBytes);

    public async Task PutNameAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        Task commit;
        // Memory and log are updated in the same order under the lock; the commit wait is outside it.
        lock (_namesLock)
        {
            commit = _names.UpsertAsync(NameKey(nameSpace, name), id.ToBytes(), cancellationToken);
            GetNamespace(nameSpace, create: true)!.Set(name, id);
        }
        await commit.ConfigureAwait(false);
    }

    public Task<SegmentId?> ResolveNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        lock (_namesLock)
        {
            var index = GetNamespace(nameSpace, create: false);
            return Task.FromResult(index is not null && index.TryGet(name, out var id) ? id : (SegmentId?)null);
        }
    }

    public Task<bool> DeleteNameAsync(string nameSpace, string name, CancellationToken cancellationToken = default) =>
        RemoveNameAsync(nameSpace, name, null, cancellationToken);

    public Task<bool> DeleteNameIfAsync(string nameSpace, string name, SegmentId id, CancellationToken cancellationToken = default) =>
        RemoveNameAsync(nameSpace, name, id, cancellationToken);

    // Removes the name (only while it points at onlyIf, when given) from the index and, durably, from its log.
    private async Task<bool> RemoveNameAsync(string nameSpace, string name, SegmentId? onlyIf, CancellationToken cancellationToken)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidateName(name);
        Task commit;
        lock (_namesLock)
        {
            var index = GetNamespace(nameSpace, create: false);
            if (index is null || !index.TryGet(name, out var current) || (onlyIf is { } expected && current != expected) || !index.Remove(name))
                return false;
            if (index.Count == 0)
                _nameIndex.Remove(nameSpace);
            commit = _names.DeleteAsync(NameKey(nameSpace, name), cancellationToken);
        }
        await commit.ConfigureAwait(false);
        return true;
    }

    public Task<NamePage> ListNamesAsync(string nameSpace, int pageSize, string? pageToken, CancellationToken cancellationToken = default)
    {
        NameRules.ValidateNamespace(nameSpace);
        NameRules.ValidatePageSize(pageSize);
        var after = NameRules.ParsePageToken(nameSpace, pageToken);
        lock (_namesLock)
        {
            var index = GetNamespace(nameSpace, create: false);
            if (index is null)
                return Task.FromResult(new NamePage([], null));
            return Task.FromResult(index.Page(nameSpace, after, pageSize));
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Finishes running operations, takes a final checkpoint of both logs and releases the lock.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        try
        {
            await _states.DisposeAsync().ConfigureAwait(false);
            await _names.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _lock.Dispose();
        }
    }

    private static FileStream AcquireLock(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StoreOpenException($"Store directory '{directory}' cannot be created: {e.Message}", e);
        }
        var path = Path.Combine(directory, LockFileName);
        try
        {
            // FileShare.None takes an exclusive flock on Linux: a second process (or a second open here) fails.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            stream.SetLength(0);
            stream.Write(Encoding.UTF8.GetBytes($"pid {Environment.ProcessId}\n"));
            stream.Flush();
            return stream;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StoreOpenException($"Store directory '{directory}' is not writable: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new StoreOpenException(
                $"Store directory '{directory}' is in use by another process (lock file '{path}' is held), " +
                $"or cannot be written: {e.Message}", e);
        }
    }

    private void LoadNames()
    {
        foreach (var (key, value) in _names.ScanLive())
        {
            int separator = Array.IndexOf(key, (byte)0);
            if (separator <= 0 || value.Length != SegmentId.ByteLength)
            {
                _logger?.LogError("Store names: skipping malformed name record ({KeyBytes} key bytes)", key.Length);
                continue;
            }
            var nameSpace = Encoding.UTF8.GetString(key, 0, separator);
            var name = Encoding.UTF8.GetString(key, separator + 1, key.Length - separator - 1);
            GetNamespace(nameSpace, create: true)!.Set(name, SegmentId.FromBytes(value));
        }
    }

    private NamespaceIndex? GetNamespace(string nameSpace, bool create)
    {
        if (_nameIndex.TryGetValue(nameSpace, out var index) || !create)
            return index;
        index = new NamespaceIndex();
        _nameIndex.Add(nameSpace, index);
        return index;
    }

    private static byte[] NameKey(string nameSpace, string name)
    {
        int nsBytes = Encoding.UTF8.GetByteCount(nameSpace);
        var key = new byte[nsBytes + 1 + Encoding.UTF8.GetByteCount(name)];
        Encoding.UTF8.GetBytes(nameSpace, key);
        key[nsBytes] = 0; // names and namespaces contain no control characters, so 0 separates them
        Encoding.UTF8.GetBytes(name, key.AsSpan(nsBytes + 1));
        return key;
    }

    /// <summary>Names of one namespace, ordered like Redis sorts them (code points = UTF-8 bytes).</summary>
    private sealed class NamespaceIndex
    {
        private readonly SortedSet<string> _order = new(NameRules.Order);
        private readonly Dictionary<string, SegmentId> _ids = new(StringComparer.Ordinal);

        public int Count => _ids.Count;

        public void Set(string name, SegmentId id)
        {
            _ids[name] = id;
            _order.Add(name);
        }

        public bool TryGet(string name, out SegmentId id) => _ids.TryGetValue(name, out id);

        public bool Remove(string name) => _ids.Remove(name) && _order.Remove(name);

        public NamePage Page(string nameSpace, string? after, int pageSize)
        {
            var entries = new List<NameEntry>(Math.Min(pageSize, _ids.Count));
            IEnumerable<string> view = _order;
            if (after is not null)
            {
                if (_order.Count == 0 || NameRules.CompareCodePoints(after, _order.Max) >= 0)
                    return new NamePage([], null);
                view = _order.GetViewBetween(after, _order.Max!);
            }
            string? last = null;
            bool more = false;
            foreach (var name in view)
            {
                if (after is not null && NameRules.CompareCodePoints(name, after) <= 0)
                    continue;
                if (entries.Count == pageSize)
                {
                    more = true;
                    break;
                }
                entries.Add(new NameEntry(name, _ids[name]));
                last = name;
            }
            return new NamePage(entries, more ? NameRules.MakePageToken(nameSpace, last!) : null);
        }
    }
}
