using System.Diagnostics;

namespace Lait.Engine.Kernels;

/// <summary>One unit of parallel work: <see cref="Execute"/> runs once per part index, on any worker.</summary>
public interface IParallelWork
{
    /// <param name="part">0..parts-1.</param>
    /// <param name="worker">0..WorkerCount-1, stable for the duration of one call (index into per-worker scratch).</param>
    void Execute(int part, int worker);
}

/// <summary>
/// Persistent workers (the caller is worker 0) so that kernels split work over the cores without
/// Parallel.For's per-call allocations and thread-pool hops. Workers spin briefly after a job because
/// the next kernel of a forward pass usually follows within microseconds, then block.
/// One job at a time: concurrent callers are serialised.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // ~50 us

    private readonly Thread[] _threads;
    private readonly SemaphoreSlim[] _wake;
    private readonly object _runLock = new();
    private volatile int _generation;
    private volatile bool _disposed;
    private IParallelWork? _work;
    private int _parts;
    private int _next;
    private int _pending;
    private int _finishedWorkers;
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
            _next = 0;
            _error = null;
            Volatile.Write(ref _pending, parts);
            Volatile.Write(ref _finishedWorkers, 0);
            _generation++;

            // Every helper takes part in every job and reports back, so no helper can still be reading
            // this job's fields when the next job overwrites them.
            for (int i = 0; i < _wake.Length; i++)
            {
                _wake[i].Release();
            }

            Drain(0);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0 || Volatile.Read(ref _finishedWorkers) != _wake.Length)
            {
                spin.SpinOnce(-1);
            }

            _work = null;
            if (_error is { } error)
            {
                _error = null;
                throw new AggregateException("A parallel kernel failed.", error);
            }
        }
    }

    private void Drain(int worker)
    {
        IParallelWork? work = _work;
        int parts = _parts;
        int part;
        while (work is not null && (part = Interlocked.Increment(ref _next) - 1) < parts)
        {
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
        int seen = 0;
        SemaphoreSlim wake = _wake[worker - 1];
        while (!_disposed)
        {
            // Spin first: back-to-back kernels arrive within microseconds; blocking would add a wake-up latency each time.
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (_generation == seen && !_disposed && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(20);
            }

            while (_generation == seen && !_disposed)
            {
                wake.Wait(); // extra releases from jobs caught while spinning just loop here once
            }

            if (_disposed)
            {
                return;
            }

            seen = _generation;
            Drain(worker);
            Interlocked.Increment(ref _finishedWorkers);
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
