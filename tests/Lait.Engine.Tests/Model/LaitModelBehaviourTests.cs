using Xunit;
using Lait.Engine.Config;
using Lait.Engine.Heads;
using Lait.Engine.Model;

namespace Lait.Engine.Tests.Model;

public class LaitModelBehaviourTests
{
    [Fact]
    public void TowerOfASegment_DoesNotDependOnItsBatchmates()
    {
        using LaitModel model = EncoderGoldens.Load("bert-cls", 2, PositionMode.PerSegment);
        Segment s = Segment.Other([5, 9, 11, 3]);
        TowerState alone = model.Tower(s);
        // Enough batchmates for several GEMM row blocks (> 256 rows), so s lands at a different tile offset.
        Segment[] mates = Enumerable.Range(0, 20).Select(i => Segment.Other(Enumerable.Range(4 + (i % 10), 30).ToArray())).ToArray();
        TowerState[] batched = model.Towers([Segment.First(Enumerable.Range(4, 30).ToArray()), .. mates[..7], s, .. mates[7..]]);
        Assert.Equal(alone.Values, batched[8].Values); // same rows, same kernels, same accumulation order: bit-identical
    }

    [Fact]
    public void RoleOffsetTowers_EqualContinuousTowersAtTheSameStarts()
    {
        // Role offsets only fix where each role starts; the tower itself is the ordinary computation at
        // that start, so it must equal a continuous-position tower started at the same place.
        using LaitModel roleOffset = EncoderGoldens.Load("bert-cls", 2, PositionMode.RoleOffset, otherPositionStart: 7);
        using LaitModel continuous = EncoderGoldens.Load("bert-cls", 2, PositionMode.Continuous);
        Assert.Equal(7, roleOffset.PositionStartFor(SegmentRole.Other));
        Assert.Equal(0, roleOffset.PositionStartFor(SegmentRole.First));
        Assert.Equal(continuous.Tower(Segment.Other([12, 13, 3], 7)).Values, roleOffset.Tower(Segment.Other([12, 13, 3], 7)).Values);
        Assert.Equal(continuous.Tower(Segment.First([2, 10, 3])).Values, roleOffset.Tower(Segment.First([2, 10, 3])).Values);
        Assert.NotEqual(continuous.Tower(Segment.Other([12, 13, 3], 0)).Values, roleOffset.Tower(Segment.Other([12, 13, 3], 7)).Values);
    }

    [Fact]
    public void RoleOffsetModel_RefusesASegmentAtAnotherStart()
    {
        using LaitModel model = EncoderGoldens.Load("bert-cls", 2, PositionMode.RoleOffset, otherPositionStart: 7);
        var e = Assert.Throws<EngineInputException>(() => model.Tower(Segment.Other([12, 13, 3], 0)));
        Assert.Contains("starts every Other segment at 7", e.Message);
        TowerState wrong = new(SegmentRole.Other, 0, 1, model.HiddenSize, new float[model.HiddenSize]);
        Assert.Throws<EngineInputException>(() => model.Joint([model.Tower(Segment.First([2, 3])), wrong]));
    }

    [Fact]
    public void AtPEqualsL_JointIsTheConcatenationOfTowers()
    {
        using LaitModel model = EncoderGoldens.Load("minilm-embed", 3, PositionMode.PerSegment);
        TowerState a = model.Tower(Segment.First([2, 5, 3]));
        TowerState b = model.Tower(Segment.Other([6, 7, 3]));
        JointOutput joint = model.Joint([a, b]);
        Assert.Equal(a.Values.Concat(b.Values), joint.Hidden);
        Assert.Equal([0, 3], joint.SegmentStarts);
    }

    [Fact]
    public void BatchedJoint_EqualsOneAtATime()
    {
        using LaitModel model = EncoderGoldens.Load("bert-cls", 1, PositionMode.PerSegment);
        TowerState claim = model.Tower(Segment.First([2, 10, 11, 3]));
        TowerState[] evidence = model.Towers([Segment.Other([12, 3]), Segment.Other([13, 14, 15, 16, 3])]);
        JointOutput[] batched = model.Joint([new[] { claim, evidence[0] }, new[] { claim, evidence[1] }]);
        for (int i = 0; i < 2; i++)
        {
            JointOutput single = model.Joint([claim, evidence[i]]);
            float[] a = single.Hidden;
            float[] b = batched[i].Hidden;
            Assert.Equal(a.Length, b.Length);
            for (int j = 0; j < a.Length; j++)
            {
                Assert.True(Math.Abs(a[j] - b[j]) < 1e-5, $"pair {i} value {j}: {a[j]} vs {b[j]}");
            }
        }
    }

    [Fact]
    public void ConcurrentCallers_GetTheSameResultsAsSequentialCalls()
    {
        using LaitModel model = EncoderGoldens.Load("roberta-cls", 1, PositionMode.PerSegment);
        Segment[] segments = Enumerable.Range(0, 8).Select(i => Segment.Other(Enumerable.Range(3, 5 + i).ToArray())).ToArray();
        float[][] expected = segments.Select(s => model.Encode([s]).Hidden).ToArray();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            int k = i % segments.Length;
            if (!model.Encode([segments[k]]).Hidden.AsSpan().SequenceEqual(expected[k]))
            {
                failures.Add($"call {i} (segment {k}) differed");
            }
        });
        Assert.Empty(failures);
    }

    [Fact]
    public void BestSpan_PicksTheHighestScoringValidSpan()
    {
        var logits = new SpanLogitsProbe([0f, 5f, 1f, 0f], [0f, 0f, 1f, 9f]);
        Assert.Equal((1, 3), (logits.Span.BestSpan(0, 3).Start, logits.Span.BestSpan(0, 3).End));
        Assert.Equal((2, 3), (logits.Span.BestSpan(0, 3, maxLength: 2).Start, logits.Span.BestSpan(0, 3, maxLength: 2).End));
        Assert.Equal((2, 2), (logits.Span.BestSpan(2, 2).Start, logits.Span.BestSpan(2, 2).End));
    }

    [Fact]
    public unsafe void SteadyStateLayerPasses_AllocateNothing()
    {
        using LaitModel model = EncoderGoldens.Load("bert-cls", 0, PositionMode.Continuous);
        var config = model.Config;
        var encoder = typeof(LaitModel).GetField("_encoder", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(model)!;
        var enc = (Encoder)encoder;
        enc.Prepare(30, 2);
        enc.SetSequence(0, 0, 12);
        enc.SetSequence(1, 12, 18);
        enc.Hidden(30).Fill(0.1f);
        enc.RunLayers(0, config.NumLayers, 30, 2); // first pass may size scratch
        // Per-thread count: other test classes run in parallel. The caller thread runs the same kernel parts as the workers.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            enc.RunLayers(0, config.NumLayers, 30, 2);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated");
    }

    private sealed class SpanLogitsProbe(float[] start, float[] end)
    {
        public SpanLogits Span { get; } = (SpanLogits)Activator.CreateInstance(typeof(SpanLogits), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null, [start, end], null)!;
    }
}
