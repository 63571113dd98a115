using Lait.Engine.Model;
using Lait.Server.Models;
using Lait.Testing;
using StoreRole = Lait.Store.Ids.SegmentRole;

namespace Lait.Server.Tests.Models;

public sealed class EngineServedModelTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly string _modelDir;
    private readonly EngineServedModel _served;

    public EngineServedModelTests()
    {
        _modelDir = TinyModelWriter.Write(_dir.Sub("tiny"), new TinyModelWriter.Options { MaxPositions = 16 });
        _served = EngineServedModel.Load("tiny", _modelDir, new EngineOptions { Threads = 1, WarmUp = false });
    }

    public void Dispose()
    {
        _served.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData("The sky is blue.", StoreRole.First)]
    [InlineData("Grass is green, and water is wet!", StoreRole.Other)]
    public void FramesSegmentsExactlyAsTheEngineDoes(string text, StoreRole role)
    {
        using var engine = LaitModel.Load(_modelDir, new EngineOptions { Threads = 1, WarmUp = false });
        var expected = engine.Tokenize(text, role == StoreRole.First ? SegmentRole.First : SegmentRole.Other).Segment.TokenIds;
        var actual = _served.Tokenize(text, role, truncate: false);
        Assert.Equal(expected, actual.TokenIds);
        Assert.Equal(actual.TokenIds.Length, actual.Offsets.Length);
    }

    [Fact]
    public void OffsetsPointAtTheTokensText()
    {
        const string text = "Paris is the capital.";
        var segment = _served.Tokenize(text, StoreRole.First, truncate: false);
        Assert.Equal((0, 0), segment.Offsets[0]); // [CLS]
        Assert.Equal("paris", text[segment.Offsets[1].Start..segment.Offsets[1].End].ToLowerInvariant());
        Assert.Equal(".", text[segment.Offsets[^2].Start..segment.Offsets[^2].End]);
        Assert.Equal((0, 0), segment.Offsets[^1]); // [SEP]
    }

    [Fact]
    public void TooLongTextExceedsTheLimitUnlessTruncated()
    {
        string text = string.Join(' ', Enumerable.Repeat("water", 20));
        var ex = Assert.Throws<ModelInputException>(() => _served.Tokenize(text, StoreRole.Other, truncate: false));
        Assert.True(ex.ExceedsLimit);
        Assert.Contains("20 tokens", ex.Message);
        var cut = _served.Tokenize(text, StoreRole.Other, truncate: true);
        Assert.True(cut.Truncated);
        Assert.Equal(16, cut.TokenIds.Length);
    }

    [Fact]
    public void TokenIdsOutsideTheVocabularyAreRejectedWithTheirPosition()
    {
        var ex = Assert.Throws<ModelInputException>(() => _served.FromTokenIds([5, -1], StoreRole.Other, truncate: false));
        Assert.False(ex.ExceedsLimit);
        Assert.Contains("position 1", ex.Message);
    }

    [Fact]
    public void TowerAndJointMatchTheEngineRunDirectly()
    {
        using var engine = LaitModel.Load(_modelDir, new EngineOptions { Threads = 1, WarmUp = false });
        var claim = _served.Tokenize("Ice is cold.", StoreRole.First, false);
        var evidence = _served.Tokenize("Ice is water.", StoreRole.Other, false);
        var states = _served.Tower([claim, evidence]);
        var output = _served.Joint([[new SegmentTensor(claim.TokenIds, claim.Role, states[0]), new SegmentTensor(evidence.TokenIds, evidence.Role, states[1])]],
            Lait.Server.Models.HeadKind.Classification)[0];

        var direct = engine.Classify(engine.Encode([Segment.First(claim.TokenIds), Segment.Other(evidence.TokenIds)]));
        Assert.Equal(direct.Logits, output.Logits);
    }
}
