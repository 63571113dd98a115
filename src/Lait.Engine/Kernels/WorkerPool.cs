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
/// Parallel.For's per-call allocations and thread-pool hops. Each worker owns a contiguous share of the
/// parts and runs it first, so the same rows land on the same core kernel after kernel (6x384 forward at
/// batch 1 on two cores ~3% faster than claiming from one shared counter); parts are still claimed
/// dynamically, so a worker that the OS has descheduled (a shared machine) costs nothing: the others
/// take its parts from the back of its share, and the caller waits only for parts, never for a
/// particular thread. Workers spin briefly after a job because
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

    // Job number; a worker runs Drain once for each new value. Parts are claimed from _ranges, not here.
    private long _generation;

    // Worker w's share of the parts, (end << 32) | next, one cache line each. Worker w claims from the
    // front of its own range first, so part i runs on the same worker job after job (kernels split their
    // rows the same way, so a worker finds its rows of the previous kernel's output in its own cache);
    // when its range is empty it takes parts from the back of the others'. Every claim is a CAS on the
    // whole word, so a claim can only succeed on the word as it is: a worker still draining an old job
    // either finds the ranges empty or claims a genuine part of the new one, and it reads the job's
    // fields (written before the ranges) only after claiming.
    private readonly PaddedLong[] _ranges;
    private IParallelWork? _work;
    private int _pending;
    private Exception? _error;

    public WorkerPool(int workerCount)
    {
        if (workerCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(workerCount), "At least one worker (the caller) is needed.");
        }

        WorkerCount = workerCount;
        _ranges = new PaddedLong[workerCount];
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
            _error = null;
            Volatile.Write(ref _pending, parts);
            for (int w = 0; w < WorkerCount; w++)
            {
                long start = (long)parts * w / WorkerCount;
                long end = (long)parts * (w + 1) / WorkerCount;
                Volatile.Write(ref _ranges[w].Value, (end << 32) | start); // after the fields above
            }

            long generation = Volatile.Read(ref _generation) + 1;
            Volatile.Write(ref _generation, generation);

            for (int i = 0; i < _wake.Length; i++)
            {
                if (_wake[i].CurrentCount == 0)
                {
                    _wake[i].Release();
                }
            }

            Drain(0);
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

    private void Drain(int worker)
    {
        while (TryClaim(worker, out int part))
        {
            try
            {
                Volatile.Read(ref _work)!.Execute(part, worker);
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

    /// <summary>Next part of this worker's own range, else the last unclaimed part of another's.</summary>
    private bool TryClaim(int worker, out int part)
    {
        for (int i = 0; i < WorkerCount; i++)
        {
            int r = (worker + i) % WorkerCount;
            bool own = i == 0;
            while (true)
            {
                long word = Volatile.Read(ref _ranges[r].Value);
                int next = (int)word;
                int end = (int)(word >> 32);
                if (next >= end)
                {
                    break;
                }

                long claimed = own ? word + 1 : word - (1L << 32);
                if (Interlocked.CompareExchange(ref _ranges[r].Value, claimed, word) == word)
                {
                    part = own ? next : end - 1;
                    return true;
                }
            }
        }

        part = -1;
        return false;
    }

    private void WorkerLoop(int worker)
    {
        long seen = 0;
        SemaphoreSlim wake = _wake[worker - 1];
        while (!_disposed)
        {
            // Spin first: back-to-back kernels arrive within microseconds; blocking would add a wake-up latency each time.
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && !_disposed && Stopwatch.GetTimestamp() < deadline)
            {
                Thread.SpinWait(20);
            }

            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                wake.Wait(); // a release left over from a job caught while spinning just loops here once
            }

            if (_disposed)
            {
                return;
            }

            seen = Volatile.Read(ref _generation);
            Drain(worker);
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

    /// <summary>A long alone on its cache line, so that two workers' claim counters never share one.</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedLong
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Value;
    }
}
