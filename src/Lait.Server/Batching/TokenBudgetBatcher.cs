using System.Diagnostics;
using System.Threading.Channels;

namespace Lait.Server.Batching;

public sealed class BatcherOptions
{
    /// <summary>A batch closes once its items add up to this many tokens.</summary>
    public int MaxBatchTokens { get; init; } = 4096;

    /// <summary>How long the first item of a batch may wait for company.</summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Items waiting beyond this are refused (RESOURCE_EXHAUSTED) instead of queued.</summary>
    public int MaxQueuedItems { get; init; } = 4096;
}

/// <summary>Thrown when the batcher's queue is full; the service answers RESOURCE_EXHAUSTED.</summary>
public sealed class BatchQueueFullException(int capacity)
    : Exception($"the compute queue is full ({capacity} items waiting); retry with backoff");

/// <summary>
/// Dynamic batching of concurrent compute work by a token budget: items from many calls are
/// gathered until they fill <see cref="BatcherOptions.MaxBatchTokens"/> or the oldest has waited
/// <see cref="BatcherOptions.MaxQueueDelay"/>, then processed together on one worker. Items whose
/// call was cancelled or whose deadline passed are dropped before compute. An item larger than the
/// budget runs in a batch of its own.
/// </summary>
public sealed class TokenBudgetBatcher<TItem, TResult> : IAsyncDisposable
{
    private readonly Func<IReadOnlyList<TItem>, TResult[]> _process;
    private readonly BatcherOptions _options;
    private readonly Channel<Pending> _queue;
    private readonly Task _worker;
    private int _queued;

    /// <summary>Called after each batch with its item count and token total (for metrics).</summary>
    public Action<int, int>? BatchObserver { get; init; }

    /// <param name="process">Computes one batch; must return one result per item, in order.</param>
    public TokenBudgetBatcher(Func<IReadOnlyList<TItem>, TResult[]> process, BatcherOptions options)
    {
        _process = process ?? throw new ArgumentNullException(nameof(process));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.MaxBatchTokens <= 0) throw new ArgumentOutOfRangeException(nameof(options), "MaxBatchTokens must be positive");
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        _worker = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Items queued and not yet taken into a batch.</summary>
    public int QueuedItems => Volatile.Read(ref _queued);

    /// <summary>Queues an item of <paramref name="tokens"/> tokens; completes with its result.</summary>
    public Task<TResult> EnqueueAsync(TItem item, int tokens, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<TResult>(cancellationToken);
        if (Interlocked.Increment(ref _queued) > _options.MaxQueuedItems)
        {
            Interlocked.Decrement(ref _queued);
            throw new BatchQueueFullException(_options.MaxQueuedItems);
        }
        var pending = new Pending(item, Math.Max(1, tokens), cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _queued);
            throw new ObjectDisposedException(nameof(TokenBudgetBatcher<TItem, TResult>), "the batcher is shutting down");
        }
        return pending.Completion.Task;
    }

    private async Task RunAsync()
    {
        var batch = new List<Pending>();
        var items = new List<TItem>();
        Pending? carry = null;
        while (true)
        {
            Pending first;
            if (carry is not null)
            {
                first = carry;
                carry = null;
            }
            else
            {
                if (!await _queue.Reader.WaitToReadAsync().ConfigureAwait(false)) break;
                if (!_queue.Reader.TryRead(out first!)) continue;
                Interlocked.Decrement(ref _queued);
            }

            batch.Clear();
            batch.Add(first);
            int tokens = first.Tokens;
            var closeAt = Stopwatch.GetTimestamp() + (long)(_options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
            while (tokens < _options.MaxBatchTokens)
            {
                if (_queue.Reader.TryRead(out var next))
                {
                    Interlocked.Decrement(ref _queued);
                    if (tokens + next.Tokens > _options.MaxBatchTokens)
                    {
                        carry = next; // starts the next batch
                        break;
                    }
                    batch.Add(next);
                    tokens += next.Tokens;
                    continue;
                }
                long wait = closeAt - Stopwatch.GetTimestamp();
                if (wait <= 0) break;
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                try
                {
                    if (!await _queue.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            Process(batch, items);
        }
        if (carry is not null) Process([carry], items);
    }

    private void Process(List<Pending> batch, List<TItem> items)
    {
        // Work nobody waits for any more is dropped before compute.
        batch.RemoveAll(p =>
        {
            if (!p.CancellationToken.IsCancellationRequested) return false;
            p.Completion.TrySetCanceled(p.CancellationToken);
            return true;
        });
        if (batch.Count == 0) return;

        items.Clear();
        int tokens = 0;
        foreach (var p in batch)
        {
            items.Add(p.Item);
            tokens += p.Tokens;
        }
        try
        {
            var results = _process(items);
            if (results.Length != batch.Count)
            {
                throw new InvalidOperationException($"batch processor returned {results.Length} results for {batch.Count} items");
            }
            for (int i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
        }
        catch (Exception ex)
        {
            foreach (var p in batch) p.Completion.TrySetException(ex);
        }
        BatchObserver?.Invoke(batch.Count, tokens);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    private sealed class Pending(TItem item, int tokens, CancellationToken cancellationToken)
    {
        public TItem Item { get; } = item;
        public int Tokens { get; } = tokens;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
