using System.Diagnostics;

namespace Lait.Engine.Kernels;

/// <summary>One unit of parallel work: <see cref="Execute"/> runs once per part index, on any worker.</summary>
public interface IParallelWork
{
    /// <param name="part">0..parts-1.</param>
    /// <param name="worker">0..WorkerCount-1: which thread runs it (index into per-worker scratch; never two at once).</param>
    void Execute(int part, int worker);
}

/// <summary>
/// Persistent workers (the caller is worker 0) so that kernels split work over the cores without
/// Parallel.For's per-call allocations and thread-pool hops. Parts are claimed dynamically, so a worker
/// that the OS has descheduled (a shared machine) costs nothing: the others take its parts and the
/// caller waits only for parts, never for a particular thread. Workers spin briefly after a job because
/// the next kernel of a forward pass usually follows within microseconds, then block.
/// One job at a time: concurrent callers are serialised.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // ~50 us

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly object _runLock = new();
    private volatile bool _disposed;

    // (generation << 32) | next unclaimed part. A claim is a CAS on the whole word, so a worker can only
    // claim a part of the generation whose fields it read; the caller publishes a job only after every
    // part of the previous one has finished, so those fields are stable while any claim is running.
    private long _state;
    private IParallelWork? _work;
    private int _parts;
    private int _pending;
    private Exception? _error;

    public WorkerPool(int workerCount)
    {
        if (workerCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workerCount), "At least one worker (the caller) is needed.");
        }

        WorkerCount = workerCount;
        _threads = new Thread[workerCount - 1];
        _wake = new SemaphoreSlim[workerCount - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            int worker = i + 1;
            _wake[i] = new SemaphoreSlim(0);
            _threads[i] = new Thread(() => WorkerLoop(worker)) { IsBackground = true, Name = $"lait-engine-worker-{worker}" };
            _threads[i].Start();
        }
    }

    public int WorkerCount { get; }

    /// <summary>Runs work.Execute(part, worker) for every part in 0..parts-1 and returns when all are done.</summary>
    public void Run(IParallelWork work, int parts)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (parts <= 0)
        {
            return;
        }

        if (parts == 1 || WorkerCount == 1)
        {
            for (int p = 0; p < parts; p++)
            {
                work.Execute(p, 0);
            }

            return;
        }

        lock (_runLock)
        {
            _work = work;
            _parts = parts;
            _error = null;
            Volatile.Write(ref _pending, parts);
            long generation = (Volatile.Read(ref _state) >> 32) + 1;
            Volatile.Write(ref _state, generation << 32); // publishes the fields above

            for (int i = 0; i < _wake.Length; i++)
            {
                if (_wake[i].CurrentCount == 0)
                {
                    _wake[i].Release();
                }
            }

            Drain(0, generation);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0)
            {
                spin.SpinOnce(-1);
            }

            if (_error is { } error)
            {
                _error = null;
                throw new AggregateException("A parallel kernel failed.", error);
            }
        }
    }

    private void Drain(int worker, long generation)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if (state >> 32 != generation)
            {
                return;
            }

            IParallelWork? work = _work;
            int parts = _parts;
            int part = (int)state;
            if (work is null || part >= parts)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state)
            {
                continue;
            }

            try
            {
                work.Execute(part, worker);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        SemaphoreSlim wake = _wake[worker - 1];
        while (!_disposed)
        {
            // Spin first: back-to-back kernels arrive within microseconds; blocking would add a wake-up latency each time.
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _state) >> 32 == seen && !_disposed && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(20);
            }

            while (Volatile.Read(ref _state) >> 32 == seen && !_disposed)
            {
                wake.Wait(); // a release left over from a job caught while spinning just loops here once
            }

            if (_disposed)
            {
                return;
            }

            seen = Volatile.Read(ref _state) >> 32;
            Drain(worker, seen);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (SemaphoreSlim s in _wake)
        {
            s.Release();
        }

        foreach (Thread t in _threads)
        {
            t.Join();
        }

        foreach (SemaphoreSlim s in _wake)
        {
            s.Dispose();
        }
    }
}
