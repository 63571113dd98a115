using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>The tiny byte-level BPE trained by make_goldens.py (committed; no ../shared needed) against the
/// Python reference's goldens.</summary>
public sealed class ByteLevelBpeGoldenTests
{
    private static readonly string s_dir = GoldenFiles.BpeTinyDirectory;

    public static TheoryData<string> SetNames => new() { "roberta", "prefix_space", "untrimmed" };

    [Theory]
    [MemberData(nameof(SetNames))]
    public void VocabAndMerges_MatchGoldenIdsAndOffsets(string setName)
    {
        GoldenSet set = GoldenFiles.Bpe.Set(setName);
        var options = new ByteLevelBpeOptions(set.Bool("add_prefix_space", false), set.Bool("trim_offsets", true));
        ByteLevelBpeTokenizer tokenizer = TokenizerLoader.FromVocabAndMerges(Path.Combine(s_dir, "vocab.json"), Path.Combine(s_dir, "merges.txt"), options);

        Assert.True(set.Cases.Count > 40);
        foreach (GoldenCase c in set.Cases)
        {
            GoldenAssert.Matches(setName, c.Text, c.Ids, c.Offsets, tokenizer.Encode(c.Text), tokenizer.Vocabulary);
        }
    }

    [Fact]
    public void TokenizerJson_GivesTheRobertaSetAndTheSameFingerprint()
    {
        ITokenizer fromJson = TokenizerLoader.FromTokenizerJson(Path.Combine(s_dir, "tokenizer.json"));
        ByteLevelBpeTokenizer fromFiles = TokenizerLoader.FromVocabAndMerges(Path.Combine(s_dir, "vocab.json"), Path.Combine(s_dir, "merges.txt"));
        Assert.Equal(TokenizerKind.ByteLevelBpe, fromJson.Kind);
        Assert.Equal(fromFiles.Fingerprint, fromJson.Fingerprint);
        foreach (GoldenCase c in GoldenFiles.Bpe.Set("roberta").Cases)
        {
            GoldenAssert.Matches("tokenizer.json", c.Text, c.Ids, c.Offsets, fromJson.Encode(c.Text), fromJson.Vocabulary);
        }
    }

    [Fact]
    public void Fingerprint_DiffersByOptions()
    {
        string vocab = Path.Combine(s_dir, "vocab.json");
        string merges = Path.Combine(s_dir, "merges.txt");
        Assert.NotEqual(
            TokenizerLoader.FromVocabAndMerges(vocab, merges).Fingerprint,
            TokenizerLoader.FromVocabAndMerges(vocab, merges, new ByteLevelBpeOptions(AddPrefixSpace: true)).Fingerprint);
    }

    [Fact]
    public void FromDirectory_PicksBpe_WithRobertaSpecialTokens()
    {
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(s_dir);
        Assert.IsType<ByteLevelBpeTokenizer>(tokenizer);
        SpecialTokenIds s = tokenizer.SpecialTokens;
        Assert.Equal((0, 2, 1, 3), (s.Cls, s.Sep, s.Pad, s.Unk));
        Assert.Equal(tokenizer.Vocabulary.Size - 1, s.Mask);
    }

    [Fact]
    public void EveryByteRoundTrips_TokensConcatenateToTheUtf8OfTheText()
    {
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(s_dir);
        const string text = "Zoë's 🍕 costs €5 — naïve\ttab";
        var byteValue = new Dictionary<char, byte>();
        for (int b = 0; b < 256; b++)
        {
            byteValue[ByteLevelAlphabet.ByteToChar((byte)b)] = (byte)b;
        }

        byte[] bytes = tokenizer.Encode(text).SelectMany(t => tokenizer.Vocabulary[t.Id]!.Select(c => byteValue[c])).ToArray();
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(text), bytes);
    }

    [Fact]
    public void RepeatedCalls_UseTheCacheAndGiveTheSameResult()
    {
        ITokenizer tokenizer = TokenizerLoader.FromDirectory(s_dir);
        GoldenCase c = GoldenFiles.Bpe.Set("roberta").Cases.First(x => x.Text.StartsWith("The quick", StringComparison.Ordinal));
        for (int i = 0; i < 3; i++)
        {
            GoldenAssert.Matches($"call {i}", c.Text, c.Ids, c.Offsets, tokenizer.Encode(c.Text), tokenizer.Vocabulary);
        }
    }
}
