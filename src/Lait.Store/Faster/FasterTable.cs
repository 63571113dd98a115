using System.Collections.Concurrent;
using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace Lait.Store.Faster;

/// <summary>
/// One FASTER key-value log (SpanByte keys and values) with pooled sessions, group commit, periodic
/// checkpoints, recovery at open and a FIFO size bound. Keys and values are opaque bytes here.
/// </summary>
internal sealed class FasterTable : IAsyncDisposable
{
    private const int MaxPooledSessions = 64;

    private readonly string _name;
    private readonly string _directory;
    private readonly IDevice _device;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly ConcurrentBag<ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions>> _sessions = new();
    private readonly DurabilityMode _durability;
    private readonly TimeSpan _commitInterval;
    private readonly TimeSpan _checkpointInterval;
    private readonly long _maxLogBytes;
    private readonly long _minFreeDiskBytes;
    private readonly ILogger? _logger;

    private readonly object _waitersLock = new();
    private List<TaskCompletionSource> _waiters = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    // FASTER's Upsert spins (it does not yield) while the in-memory log waits for pages to flush, and
    // the flush completions need thread-pool threads. With every pool thread spinning in Upsert the
    // server froze for minutes (64 streams, small memory budget). One writer at a time (an upsert takes
    // microseconds); the others wait asynchronously, so pool threads stay free for the flushes.
    private readonly SemaphoreSlim _writers = new(1, 1);
    private readonly Task _loop;

    private int _inFlight;
    private volatile bool _closing;
    private readonly long _diskReserve;  // bytes FASTER may still write that the probe cannot see
    private long _freeAtProbe;
    private long _appendedSinceProbe;
    private long _writes;            // bumped by every upsert/delete
    private long _writesAtLastCommit;
    private bool _truncatePending;
    private int _disposed;

    public FasterTable(string name, string directory, int pageSizeBits, long memoryBytes, long readCacheBytes,
        long indexBytes, int segmentSizeBits, DurabilityMode durability, TimeSpan commitInterval,
        TimeSpan checkpointInterval, long maxLogBytes, long minFreeDiskBytes, ILogger? logger)
    {
        _name = name;
        _directory = directory;
        _durability = durability;
        _commitInterval = commitInterval;
        _checkpointInterval = checkpointInterval;
        _maxLogBytes = maxLogBytes;
        _minFreeDiskBytes = minFreeDiskBytes;
        _logger = logger;
        // Unflushed log (up to the in-memory size) and an index checkpoint (old and new copy) are written
        // without passing through UpsertAsync's accounting, so keep room for them.
        _diskReserve = memoryBytes + 2 * indexBytes;

        var logDir = Path.Combine(directory, "log");
        var checkpointDir = Path.Combine(directory, "checkpoints");
        System.IO.Directory.CreateDirectory(logDir);
        System.IO.Directory.CreateDirectory(checkpointDir);
        try
        {
            (_device, _kv) = OpenAndRecover(name, logDir, checkpointDir, pageSizeBits, memoryBytes, readCacheBytes, indexBytes, segmentSizeBits);
        }
        catch (FasterException e) when (e.Message.Contains("Unable to find valid", StringComparison.Ordinal))
        {
            // Checkpoint files exist but none was ever completed (the disk filled, or the process died,
            // during this table's first checkpoint). No put was acknowledged as durable without a
            // completed commit, so nothing acknowledged can be lost: start this table empty, loudly.
            _logger?.LogWarning("Store table {Table} in {Dir}: no completed checkpoint ({Message}); starting it empty", name, directory, e.Message);
            System.IO.Directory.Delete(checkpointDir, recursive: true);
            System.IO.Directory.Delete(logDir, recursive: true);
            System.IO.Directory.CreateDirectory(logDir);
            System.IO.Directory.CreateDirectory(checkpointDir);
            (_device, _kv) = OpenAndRecover(name, logDir, checkpointDir, pageSizeBits, memoryBytes, readCacheBytes, indexBytes, segmentSizeBits);
        }
        catch (Exception e)
        {
            throw new StoreOpenException($"Cannot open store table '{name}' in '{directory}': recovery failed: {e.Message}", e);
        }
        _freeAtProbe = FreeDiskBytes();
        _loop = Task.Run(RunLoopAsync);
    }

    private (IDevice Device, FasterKV<SpanByte, SpanByte> Kv) OpenAndRecover(string name, string logDir, string checkpointDir,
        int pageSizeBits, long memoryBytes, long readCacheBytes, long indexBytes, int segmentSizeBits)
    {
        // recoverDevice: learn which segment files exist, so recovery can read them.
        var device = Devices.CreateLogDevice(Path.Combine(logDir, "hlog"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        long pageSize = 1L << pageSizeBits;
        var settings = new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = indexBytes,
            LogDevice = device,
            PageSize = pageSize,
            SegmentSize = 1L << segmentSizeBits,
            MemorySize = RoundUpToPowerOfTwo(Math.Max(memoryBytes, 4 * pageSize)),
            MutableFraction = 0.9,
            ReadCacheEnabled = readCacheBytes > 0,
            ReadCachePageSize = pageSize,
            ReadCacheMemorySize = RoundUpToPowerOfTwo(Math.Max(readCacheBytes, 2 * pageSize)),
            CheckpointDir = checkpointDir,
            RemoveOutdatedCheckpoints = true,
            TryRecoverLatest = false,
        };
        FasterKV<SpanByte, SpanByte>? kv = null;
        try
        {
            kv = new FasterKV<SpanByte, SpanByte>(settings);
            if (System.IO.Directory.EnumerateFiles(checkpointDir, "*", SearchOption.AllDirectories).Any())
            {
                var sw = Stopwatch.StartNew();
                kv.Recover();
                _logger?.LogInformation("Store table {Table}: recovered version {Version} in {Ms} ms (log {Begin}..{Tail})",
                    name, kv.RecoveredVersion, sw.ElapsedMilliseconds, kv.Log.BeginAddress, kv.Log.TailAddress);
            }
            return (device, kv);
        }
        catch
        {
            kv?.Dispose();
            device.Dispose();
            throw;
        }
    }

    public long LogBytes => _kv.Log.TailAddress - _kv.Log.BeginAddress;
    /// <summary>Free-space floor in force: the configured minimum plus the reserve for unaccounted writes.</summary>
    public long DiskFloorBytes => _minFreeDiskBytes > long.MaxValue - _diskReserve ? long.MaxValue : _minFreeDiskBytes + _diskReserve;

    /// <summary>
    /// Reads values for many keys (not found: <see cref="PooledRecord.Found"/> false). Disk reads are issued
    /// together. The caller must <see cref="PooledRecord.Return"/> every result.
    /// </summary>
    public async Task<PooledRecord[]> ReadManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Enter();
        var session = RentSession();
        bool clean = false;
        try
        {
            var results = new PooledRecord[keys.Count];
            bool anyPending = false;
            for (int i = 0; i < keys.Count; i++)
            {
                PooledRecord output = default;
                var status = Read(session, keys[i], ref output, i);
                if (status.IsPending)
                    anyPending = true;
                else if (status.Found)
                    results[i] = output;
                else if (status.IsFaulted)
                {
                    ReturnAll(results);
                    throw new StoreUnavailableException($"Store table '{_name}': read failed.");
                }
            }
            if (anyPending)
            {
                // Not cancellable on purpose: a session must not go back to the pool with reads in flight,
                // or their outputs would surface in a later caller's completion.
                using var outputs = await session.CompletePendingWithOutputsAsync(waitForCommit: false, token: CancellationToken.None).ConfigureAwait(false);
                while (outputs.Next())
                {
                    ref var completed = ref outputs.Current;
                    if (completed.Status.IsFaulted)
                    {
                        ReturnAll(results);
                        throw new StoreUnavailableException($"Store table '{_name}': disk read failed.");
                    }
                    if (completed.Status.Found)
                        results[completed.Context] = completed.Output;
                    else
                        completed.Output.Return();
                }
            }
            clean = true;
            return results;
        }
        finally
        {
            if (clean)
                ReturnSession(session);
            else
                session.Dispose();
            Exit();
        }
    }

    public static void ReturnAll(PooledRecord[] records)
    {
        for (int i = 0; i < records.Length; i++)
        {
            records[i].Return();
            records[i] = default;
        }
    }

    /// <summary>Writes a value; completes when it is as durable as the mode promises.</summary>
    public async Task UpsertAsync(byte[] key, byte[] value, CancellationToken cancellationToken)
    {
        // FASTER blocks (it does not fail) when a flush hits ENOSPC, so refuse before the disk fills:
        // free space at the last probe, minus what was appended since, must stay above the floor.
        long expectedFree = Volatile.Read(ref _freeAtProbe) - Interlocked.Read(ref _appendedSinceProbe) - value.Length;
        if (expectedFree < DiskFloorBytes)
            throw new StoreFullException(
                $"Store '{_directory}' is out of disk space: about {Math.Max(0, expectedFree)} bytes free, floor is " +
                $"{DiskFloorBytes} (MinFreeDiskBytes {_minFreeDiskBytes} + reserve {_diskReserve}); nothing was written.");
        await _writers.WaitAsync(cancellationToken).ConfigureAwait(false);
        Enter();
        var session = RentSession();
        try
        {
            var status = Upsert(session, key, value);
            if (status.IsPending)
                session.CompletePending(wait: true);
            Interlocked.Increment(ref _writes);
            Interlocked.Add(ref _appendedSinceProbe, key.Length + value.Length + 16);
        }
        finally
        {
            ReturnSession(session);
            Exit();
            _writers.Release();
        }
        await WaitForCommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes a key (a tombstone); durable like upserts.</summary>
    public async Task DeleteAsync(byte[] key, CancellationToken cancellationToken)
    {
        await _writers.WaitAsync(cancellationToken).ConfigureAwait(false);
        Enter();
        var session = RentSession();
        try
        {
            var status = Delete(session, key);
            if (status.IsPending)
                session.CompletePending(wait: true);
            Interlocked.Increment(ref _writes);
        }
        finally
        {
            ReturnSession(session);
            Exit();
            _writers.Release();
        }
        await WaitForCommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>All live key/value pairs (latest version of each key). Used to rebuild small in-memory indexes at open.</summary>
    public List<(byte[] Key, byte[] Value)> ScanLive()
    {
        var result = new List<(byte[], byte[])>();
        var session = RentSession();
        try
        {
            using var iterator = session.Iterate();
            while (iterator.GetNext(out _))
                result.Add((iterator.GetKey().ToByteArray(), iterator.GetValue().ToByteArray()));
        }
        finally
        {
            ReturnSession(session);
        }
        return result;
    }

    public Task WaitForCommitAsync(CancellationToken cancellationToken)
    {
        if (_durability == DurabilityMode.Checkpoint)
            return Task.CompletedTask;
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool first;
        lock (_waitersLock)
        {
            _waiters.Add(waiter);
            first = _waiters.Count == 1;
        }
        if (first)
            _wake.Release();
        return cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task;
    }

    private async Task RunLoopAsync()
    {
        var sinceFullCheckpoint = Stopwatch.StartNew();
        var sinceCommit = Stopwatch.StartNew();
        var sinceDiskCheck = Stopwatch.StartNew();
        while (true)
        {
            bool stopping = _stop.IsCancellationRequested;
            int waiting;
            lock (_waitersLock)
                waiting = _waiters.Count;
            bool dirty = Interlocked.Read(ref _writes) != _writesAtLastCommit;
            bool fullDue = sinceFullCheckpoint.Elapsed >= _checkpointInterval && dirty;
            if (sinceDiskCheck.ElapsedMilliseconds >= 500)
            {
                // Appends racing with the probe may be counted twice (safe side), never lost: the reserve covers
                // log bytes that are appended but not yet flushed when the probe runs.
                long appended = Interlocked.Read(ref _appendedSinceProbe);
                Volatile.Write(ref _freeAtProbe, FreeDiskBytes());
                Interlocked.Add(ref _appendedSinceProbe, -appended);
                sinceDiskCheck.Restart();
            }
            if (stopping)
            {
                await CommitAsync(full: true, force: true).ConfigureAwait(false);
                return;
            }
            if (waiting == 0 && !fullDue)
            {
                var untilFull = _checkpointInterval - sinceFullCheckpoint.Elapsed;
                var timeout = TimeSpan.FromMilliseconds(Math.Clamp(untilFull.TotalMilliseconds, 1, 500));
                try
                {
                    await _wake.WaitAsync(timeout, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
                continue;
            }
            // Group commit: at most one commit per interval; puts arriving meanwhile join the next one.
            var spacing = _commitInterval - sinceCommit.Elapsed;
            if (!fullDue && spacing > TimeSpan.Zero)
                await Task.Delay(spacing).ConfigureAwait(false);
            sinceCommit.Restart();
            await CommitAsync(fullDue, force: false).ConfigureAwait(false);
            if (fullDue)
                sinceFullCheckpoint.Restart();
            ApplySpaceBound();
        }
    }

    private async Task CommitAsync(bool full, bool force)
    {
        List<TaskCompletionSource> batch;
        lock (_waitersLock)
        {
            batch = _waiters;
            _waiters = new List<TaskCompletionSource>();
        }
        long writes = Interlocked.Read(ref _writes);
        if (!force && batch.Count == 0 && writes == _writesAtLastCommit)
            return;
        try
        {
            bool ok;
            if (full)
                (ok, _) = await _kv.TakeFullCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
            else
                (ok, _) = await _kv.TakeHybridLogCheckpointAsync(CheckpointType.FoldOver).ConfigureAwait(false);
            if (!ok)
                throw new InvalidOperationException("FASTER refused to start a checkpoint.");
            _writesAtLastCommit = writes;
            if (_truncatePending)
            {
                // The checkpoint now records the shifted begin address, so dropping the files is safe.
                _kv.Log.Truncate();
                _truncatePending = false;
            }
            foreach (var waiter in batch)
                waiter.TrySetResult();
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "Store table {Table}: commit failed", _name);
            var failure = new StoreUnavailableException($"Store table '{_name}': commit to disk failed: {e.Message}", e);
            foreach (var waiter in batch)
                waiter.TrySetException(failure);
        }
    }

    /// <summary>FIFO size bound: past the bound, evict the oldest pages down to 3/4 of it.</summary>
    private void ApplySpaceBound()
    {
        if (_maxLogBytes <= 0 || LogBytes <= _maxLogBytes)
            return;
        long until = Math.Min(_kv.Log.TailAddress - _maxLogBytes * 3 / 4, _kv.Log.HeadAddress);
        if (until <= _kv.Log.BeginAddress)
            return;
        _logger?.LogInformation("Store table {Table}: log {Bytes} bytes over bound {Max}; evicting up to address {Until}",
            _name, LogBytes, _maxLogBytes, until);
        _kv.Log.ShiftBeginAddress(until, snapToPageStart: true, truncateLog: false);
        _truncatePending = true;
    }

    private long FreeDiskBytes()
    {
        try
        {
            return new DriveInfo(Path.GetFullPath(_directory)).AvailableFreeSpace;
        }
        catch (Exception)
        {
            return long.MaxValue; // unknown: do not refuse writes on a failed probe
        }
    }

    private static unsafe Status Read(ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions> session,
        byte[] key, ref PooledRecord output, long context)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            SpanByte input = default;
            return session.Read(ref keySpan, ref input, ref output, context, 0);
        }
    }

    private static unsafe Status Upsert(ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions> session,
        byte[] key, byte[] value)
    {
        fixed (byte* k = key, v = value)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            var valueSpan = SpanByte.FromPointer(v, value.Length);
            return session.Upsert(ref keySpan, ref valueSpan, 0, 0);
        }
    }

    private static unsafe Status Delete(ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions> session,
        byte[] key)
    {
        fixed (byte* k = key)
        {
            var keySpan = SpanByte.FromPointer(k, key.Length);
            return session.Delete(ref keySpan, 0, 0);
        }
    }

    private ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions> RentSession() =>
        _sessions.TryTake(out var session)
            ? session
            : _kv.For(new PooledRecordFunctions()).NewSession<PooledRecordFunctions>();

    private void ReturnSession(ClientSession<SpanByte, SpanByte, SpanByte, PooledRecord, long, PooledRecordFunctions> session)
    {
        if (_sessions.Count < MaxPooledSessions)
            _sessions.Add(session);
        else
            session.Dispose();
    }

    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_closing)
        {
            Interlocked.Decrement(ref _inFlight);
            throw new StoreUnavailableException($"Store '{_directory}' is closed.");
        }
    }

    private void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Stops new operations, lets running ones finish, takes a final checkpoint and closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _closing = true;
        while (Volatile.Read(ref _inFlight) > 0)
            await Task.Delay(1).ConfigureAwait(false);
        _stop.Cancel();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _logger?.LogError(e, "Store table {Table}: final checkpoint failed", _name);
        }
        lock (_waitersLock)
        {
            foreach (var waiter in _waiters)
                waiter.TrySetException(new StoreUnavailableException($"Store '{_directory}' closed before the commit."));
            _waiters.Clear();
        }
        while (_sessions.TryTake(out var session))
            session.Dispose();
        _kv.Dispose();
        _device.Dispose();
        _stop.Dispose();
        _wake.Dispose();
    }

    private static long RoundUpToPowerOfTwo(long value)
    {
        long p = 1;
        while (p < value)
            p <<= 1;
        return p;
    }
}
