using Xunit;
using Lait.Engine.Config;
using Lait.Engine.Model;

namespace Lait.Engine.Tests.Model;

/// <summary>Bad requests fail with an <see cref="EngineInputException"/> that says what to change; the model keeps working.</summary>
public class LaitModelInputTests : IClassFixture<LaitModelInputTests.Models>
{
    private readonly Models _models;

    public LaitModelInputTests(Models models) => _models = models;

    public sealed class Models : IDisposable
    {
        public LaitModel Continuous { get; } = EncoderGoldens.Load("bert-cls", 1, PositionMode.Continuous);
        public LaitModel PerSegment { get; } = EncoderGoldens.Load("bert-cls", 2, PositionMode.PerSegment);
        public LaitModel Roberta { get; } = EncoderGoldens.Load("roberta-cls", 1, PositionMode.PerSegment);

        public void Dispose()
        {
            Continuous.Dispose();
            PerSegment.Dispose();
            Roberta.Dispose();
        }
    }

    private static EngineInputException Fails(Action action, string expected)
    {
        var e = Assert.Throws<EngineInputException>(action);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        return e;
    }

    [Fact]
    public void TokenIdOutsideVocabulary_IsRejectedAndModelStillWorks()
    {
        Fails(() => _models.Continuous.Tower(Segment.First([2, 48, 3])), "id 48 is outside the vocabulary (0..47)");
        Fails(() => _models.Continuous.Tower(Segment.First([2, -1, 3])), "id -1 is outside the vocabulary");
        Assert.Equal(3, _models.Continuous.Tower(Segment.First([2, 5, 3])).TokenCount);
    }

    [Fact]
    public void SegmentLongerThanThePositionTable_IsRejected()
    {
        Fails(() => _models.Continuous.Tower(Segment.First(new int[41])), "has 41 tokens; this model takes at most 40");
        Fails(() => _models.Continuous.Tower(Segment.Other(new int[10], positionStart: 35)), "ends at position 45");
    }

    [Fact]
    public void EmptySegmentOrNoSegments_IsRejected()
    {
        Fails(() => _models.Continuous.Tower(Segment.First([])), "has no tokens");
        Fails(() => _models.Continuous.Towers([]), "No segments");
        Fails(() => _models.Continuous.Joint(Array.Empty<TowerState>()), "has no segments");
        Fails(() => _models.Continuous.Joint(Array.Empty<IReadOnlyList<TowerState>>()), "No joint sequences");
    }

    [Fact]
    public void TooManySegmentsOrTokens_InOneJointSequence_IsRejected()
    {
        TowerState one = _models.PerSegment.Tower(Segment.Other([5]));
        Fails(() => _models.PerSegment.Joint(Enumerable.Repeat(one, 65).ToArray()), "has 65 segments; at most 64");
        TowerState twenty = _models.PerSegment.Tower(Segment.Other(Enumerable.Repeat(5, 20).ToArray()));
        Fails(() => _models.PerSegment.Joint([twenty, twenty, one]), "has 41 tokens; at most 40");
    }

    [Fact]
    public void PerSegmentModel_RejectsAPositionStart()
    {
        Fails(() => _models.PerSegment.Tower(Segment.Other([5, 6], positionStart: 4)), "per-segment positions");
    }

    [Fact]
    public void ContinuousModel_RejectsATowerComputedAtTheWrongOffset()
    {
        TowerState first = _models.Continuous.Tower(Segment.First([2, 7, 3]));
        TowerState atZero = _models.Continuous.Tower(Segment.Other([8, 3]));
        Fails(() => _models.Continuous.Joint([first, atZero]), "recompute the tower with position start 3");
        TowerState atThree = _models.Continuous.Tower(Segment.Other([8, 3], positionStart: 3));
        Assert.Equal(5, _models.Continuous.Joint([first, atThree]).TokenCount);
    }

    [Fact]
    public void TowerStateOfAnotherHiddenSize_IsRejected()
    {
        var foreign = new TowerState(SegmentRole.First, 0, 2, 8, new float[16]);
        Fails(() => _models.PerSegment.Joint([foreign]), "hidden size 8");
        Assert.Throws<EngineInputException>(() => new TowerState(SegmentRole.First, 0, 2, 32, new float[10]));
    }

    [Fact]
    public void RobertaSegmentContainingPadding_IsRejected()
    {
        Fails(() => _models.Roberta.Tower(Segment.First([0, 1, 2])), "padding token");
    }

    [Fact]
    public void HeadTheModelLacks_IsAnInvalidOperation()
    {
        var output = _models.Continuous.Encode([Segment.First([2, 3])]);
        Assert.Throws<InvalidOperationException>(() => _models.Continuous.AnswerSpan(output));
    }
}
