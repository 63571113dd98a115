using Xunit;
using Lait.Engine.Checkpoints;
using Lait.Engine.Config;
using Lait.Engine.Model;
using Lait.Engine.Tests.Checkpoints;
using Lait.Engine.Tests.Support;
using Lait.Engine.Tokenization;

namespace Lait.Engine.Tests.Model;

/// <summary>Text to framed segments with the real MiniLM WordPiece tokenizer (../shared) on a tiny random model with its vocabulary size.</summary>
public class TextSegmentTests
{
    private const string TokenizerDir = "models/all-MiniLM-L6-v2.tokenizer-only";

    private static LaitModel ModelWithMiniLmTokenizer()
    {
        string dir = Path.Combine(RepoPaths.SharedOrNull!, TokenizerDir);
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(dir);
        EncoderConfig config = EncoderConfigReader.FromDirectory(EncoderGoldens.ModelDir("bert-cls")) with { VocabSize = 30522 };
        var tensors = CheckpointLoader.LoadDirectory(EncoderGoldens.ModelDir("bert-cls")).ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Values));
        tensors["bert.embeddings.word_embeddings.weight"] = ([30522, 32], Reference.Random(30522 * 32, 7, 0.5f));
        return LaitModel.Create(config, new DictionaryTensorSource(tensors), "test", new EngineOptions { WarmUp = false }, tokenizer);
    }

    [SharedDataFact(TokenizerDir + "/vocab.txt")]
    public void FirstAndOtherSegments_AreFramedWithClsAndSep_AndKeepOffsets()
    {
        using LaitModel model = ModelWithMiniLmTokenizer();
        const string text = "The cat sat.";
        TextSegment first = model.Tokenize(text, SegmentRole.First);
        TextSegment other = model.Tokenize("On the mat", SegmentRole.Other, positionStart: first.Segment.TokenIds.Length);
        Assert.Equal(101, first.Segment.TokenIds[0]);
        Assert.Equal(102, first.Segment.TokenIds[^1]);
        Assert.Equal(1, first.FirstTextToken);
        Assert.Equal("cat", text[first.Tokens[1].Start..first.Tokens[1].End]);
        Assert.Equal(first.Tokens[1].Id, first.Segment.TokenIds[first.SegmentIndexOf(1)]);
        Assert.NotEqual(101, other.Segment.TokenIds[0]);
        Assert.Equal(102, other.Segment.TokenIds[^1]);
        Assert.False(first.Truncated);

        JointOutput joint = model.Encode([first.Segment, other.Segment]);
        Assert.Equal(first.Segment.TokenIds.Length + other.Segment.TokenIds.Length, joint.TokenCount);
        Assert.Equal(3, model.Classify(joint).Probabilities.Length);
    }

    [SharedDataFact(TokenizerDir + "/vocab.txt")]
    public void TooLongText_IsRejectedUnlessTruncationIsAsked()
    {
        using LaitModel model = ModelWithMiniLmTokenizer();
        string text = string.Join(' ', Enumerable.Repeat("word", 60));
        var e = Assert.Throws<EngineInputException>(() => model.Tokenize(text, SegmentRole.First));
        Assert.Contains("at most 38 fit", e.Message, StringComparison.Ordinal);
        TextSegment cut = model.Tokenize(text, SegmentRole.First, truncate: true);
        Assert.True(cut.Truncated);
        Assert.Equal(40, cut.Segment.TokenIds.Length);
        Assert.Equal(102, cut.Segment.TokenIds[^1]);
    }

    [SharedDataFact(TokenizerDir + "/vocab.txt")]
    public void EmptyOrInvalidText_IsAnInputError()
    {
        using LaitModel model = ModelWithMiniLmTokenizer();
        Assert.Throws<EngineInputException>(() => model.Tokenize("  ", SegmentRole.First));
        Assert.Throws<EngineInputException>(() => model.Tokenize("bad \uD800 surrogate", SegmentRole.Other));
    }
}
