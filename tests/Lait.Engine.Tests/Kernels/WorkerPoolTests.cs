using Xunit;
using Lait.Engine.Kernels;

namespace Lait.Engine.Tests.Kernels;

public class WorkerPoolTests
{
    private sealed class CountingWork(int parts, int workers) : IParallelWork
    {
        public int[] Hits { get; } = new int[parts];
        public int[] ActiveOnWorker { get; } = new int[workers];
        public bool Overlap { get; private set; }

        public void Execute(int part, int worker)
        {
            if (Interlocked.Increment(ref ActiveOnWorker[worker]) != 1)
            {
                Overlap = true; // two threads claimed the same worker index
            }

            Interlocked.Increment(ref Hits[part]);
            Thread.SpinWait(50);
            Interlocked.Decrement(ref ActiveOnWorker[worker]);
        }
    }

    private sealed class FailingWork : IParallelWork
    {
        public void Execute(int part, int worker)
        {
            if (part == 3)
            {
                throw new InvalidOperationException("part 3 failed");
            }
        }
    }

    [Fact]
    public void EveryPartRunsExactlyOnce_AcrossManyBackToBackJobs()
    {
        using var pool = new WorkerPool(3);
        for (int job = 0; job < 2000; job++)
        {
            int parts = 1 + job % 17;
            var work = new CountingWork(parts, pool.WorkerCount);
            pool.Run(work, parts);
            Assert.All(work.Hits, h => Assert.Equal(1, h));
            Assert.False(work.Overlap);
        }
    }

    private sealed class StallingSecondWorker(int parts) : IParallelWork
    {
        private int _stalled;

        public int[] RunsOnWorker { get; } = new int[2];
        public int[] Hits { get; } = new int[parts];

        public void Execute(int part, int worker)
        {
            Interlocked.Increment(ref Hits[part]);
            Interlocked.Increment(ref RunsOnWorker[worker]);
            if (worker == 1 && Interlocked.Exchange(ref _stalled, 1) == 0)
            {
                Thread.Sleep(300); // as if the OS had descheduled the worker mid-job
            }
        }
    }

    [Fact]
    public void AStalledWorker_HasTheRestOfItsShareTakenByTheOthers()
    {
        using var pool = new WorkerPool(2);
        var work = new StallingSecondWorker(8);
        pool.Run(work, 8);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
        // Worker 1 runs at most the one part it stalled on; the caller takes the rest of its share.
        Assert.True(work.RunsOnWorker[0] >= 7, $"caller ran {work.RunsOnWorker[0]} of 8 parts");
    }

    [Fact]
    public void AFailingPart_SurfacesToTheCaller_AndThePoolKeepsWorking()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new FailingWork(), 8));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var work = new CountingWork(5, 2);
        pool.Run(work, 5);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }
}
