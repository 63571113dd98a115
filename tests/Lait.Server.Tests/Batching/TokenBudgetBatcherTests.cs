using Lait.Server.Batching;

namespace Lait.Server.Tests.Batching;

public class TokenBudgetBatcherTests
{
    [Fact]
    public async Task ConcurrentItemsShareABatchUpToTheTokenBudget()
    {
        var batches = new List<int[]>();
        await using var batcher = new TokenBudgetBatcher<int, int>(
            items => { lock (batches) batches.Add(items.ToArray()); return items.Select(i => i * 10).ToArray(); },
            new BatcherOptions { MaxBatchTokens = 100, MaxQueueDelay = TimeSpan.FromMilliseconds(200) });

        var tasks = Enumerable.Range(1, 5).Select(i => batcher.EnqueueAsync(i, 30, CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(tasks);

        Assert.Equal([10, 20, 30, 40, 50], results);
        // 30 tokens each under a budget of 100: at most 3 items per batch, every item exactly once.
        Assert.All(batches, b => Assert.True(b.Length <= 3));
        Assert.Equal([1, 2, 3, 4, 5], batches.SelectMany(b => b).Order().ToArray());
        Assert.True(batches.Count < 5, "items queued together must share batches");
    }

    [Fact]
    public async Task ItemLargerThanBudgetRunsAlone()
    {
        var sizes = new List<int>();
        await using var batcher = new TokenBudgetBatcher<string, int>(
            items => { lock (sizes) sizes.Add(items.Count); return items.Select(s => s.Length).ToArray(); },
            new BatcherOptions { MaxBatchTokens = 10, MaxQueueDelay = TimeSpan.FromMilliseconds(1) });
        Assert.Equal(5, await batcher.EnqueueAsync("large", 50, CancellationToken.None));
        Assert.Equal([1], sizes);
    }

    [Fact]
    public async Task CancelledItemsAreDroppedBeforeCompute()
    {
        var computed = new List<int>();
        var gate = new ManualResetEventSlim(false);
        await using var batcher = new TokenBudgetBatcher<int, int>(
            items => { gate.Wait(); lock (computed) computed.AddRange(items); return items.ToArray(); },
            new BatcherOptions { MaxBatchTokens = 1, MaxQueueDelay = TimeSpan.Zero });

        var blocker = batcher.EnqueueAsync(1, 1, CancellationToken.None); // occupies the worker
        using var cts = new CancellationTokenSource();
        var doomed = batcher.EnqueueAsync(2, 1, cts.Token);
        await cts.CancelAsync();
        gate.Set();

        Assert.Equal(1, await blocker);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        Assert.DoesNotContain(2, computed);
    }

    [Fact]
    public async Task FullQueueIsRefused()
    {
        var gate = new ManualResetEventSlim(false);
        await using var batcher = new TokenBudgetBatcher<int, int>(
            items => { gate.Wait(); return items.ToArray(); },
            new BatcherOptions { MaxBatchTokens = 1, MaxQueueDelay = TimeSpan.Zero, MaxQueuedItems = 2 });
        var running = batcher.EnqueueAsync(0, 1, CancellationToken.None);
        // Wait until the worker has taken the first item, so the queue is empty again.
        while (batcher.QueuedItems > 0) await Task.Delay(1);
        var a = batcher.EnqueueAsync(1, 1, CancellationToken.None);
        var b = batcher.EnqueueAsync(2, 1, CancellationToken.None);
        Assert.Throws<BatchQueueFullException>(() => { _ = batcher.EnqueueAsync(3, 1, CancellationToken.None); });
        gate.Set();
        int[] results = await Task.WhenAll(running, a, b);
        Assert.Equal(new[] { 0, 1, 2 }, results);
    }

    [Fact]
    public async Task ProcessorFailureFaultsEveryItemOfTheBatchAndTheBatcherGoesOn()
    {
        int calls = 0;
        await using var batcher = new TokenBudgetBatcher<int, int>(
            items => Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : items.ToArray(),
            new BatcherOptions { MaxBatchTokens = 100, MaxQueueDelay = TimeSpan.Zero });
        await Assert.ThrowsAsync<InvalidOperationException>(() => batcher.EnqueueAsync(1, 1, CancellationToken.None));
        Assert.Equal(7, await batcher.EnqueueAsync(7, 1, CancellationToken.None));
    }
}
