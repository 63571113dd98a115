using Lait.Server.Batching;
using Lait.Server.Configuration;
using Lait.Store.Ids;

namespace Lait.Server.Models;

/// <summary>One joint sequence to compute: ordered segments and the head to apply.</summary>
public sealed record JointJob(IReadOnlyList<SegmentTensor> Segments, HeadKind Head)
{
    public int Tokens
    {
        get
        {
            int n = 0;
            foreach (var s in Segments) n += s.TokenIds.Length;
            return n;
        }
    }
}

/// <summary>
/// A served model with its compute queues: tower work (segments being ingested or given inline) and
/// joint work (Combine) from all concurrent calls are batched by token budget before they reach
/// the model.
/// </summary>
public sealed class ServedModelEntry : IAsyncDisposable
{
    public ServedModelEntry(IServedModel model, BatchingSettings batching, Action<string, int, int>? batchObserver = null)
    {
        Model = model;
        var options = new BatcherOptions
        {
            MaxBatchTokens = batching.MaxBatchTokens,
            MaxQueueDelay = TimeSpan.FromMilliseconds(batching.MaxQueueDelayMs),
            MaxQueuedItems = batching.MaxQueuedItems,
        };
        Towers = new TokenBudgetBatcher<TokenizedSegment, float[]>(model.Tower, options)
        {
            BatchObserver = (items, tokens) => batchObserver?.Invoke("tower", items, tokens),
        };
        Joints = new TokenBudgetBatcher<JointJob, HeadOutput>(RunJoint, options)
        {
            BatchObserver = (items, tokens) => batchObserver?.Invoke("joint", items, tokens),
        };
    }

    public IServedModel Model { get; }

    public ModelDescription Description => Model.Description;

    public TokenBudgetBatcher<TokenizedSegment, float[]> Towers { get; }

    public TokenBudgetBatcher<JointJob, HeadOutput> Joints { get; }

    /// <summary>The key every state of this model is stored under (DESIGN.md §4).</summary>
    public SegmentKey KeyFor(TokenizedSegment segment) =>
        new(Description.Fingerprint, Description.TowerLayers, Description.TokenizerFingerprint,
            Description.PositionMode, segment.Role, segment.TokenIds);

    // A batch may mix heads; each head runs as one model call.
    private HeadOutput[] RunJoint(IReadOnlyList<JointJob> jobs)
    {
        var results = new HeadOutput[jobs.Count];
        foreach (var head in new[] { HeadKind.Classification, HeadKind.SpanExtraction })
        {
            var indices = new List<int>();
            var sequences = new List<IReadOnlyList<SegmentTensor>>();
            for (int i = 0; i < jobs.Count; i++)
            {
                if (jobs[i].Head != head) continue;
                indices.Add(i);
                sequences.Add(jobs[i].Segments);
            }
            if (sequences.Count == 0) continue;
            var outputs = Model.Joint(sequences, head);
            for (int k = 0; k < indices.Count; k++) results[indices[k]] = outputs[k];
        }
        return results;
    }

    public async ValueTask DisposeAsync()
    {
        await Towers.DisposeAsync().ConfigureAwait(false);
        await Joints.DisposeAsync().ConfigureAwait(false);
    }
}
