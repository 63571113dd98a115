using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>Invalid input is rejected with a clear error; EncodeTo and concurrent use behave like Encode.</summary>
public sealed class TokenizerInputTests
{
    private static ITokenizer Bpe() => TokenizerLoader.FromDirectory(GoldenFiles.BpeTinyDirectory);

    private static ITokenizer SmallWordPiece()
    {
        var vocab = new Dictionary<string, int>
        {
            ["[PAD]"] = 0, ["[UNK]"] = 1, ["[CLS]"] = 2, ["[SEP]"] = 3, ["[MASK]"] = 4,
            ["hello"] = 5, ["world"] = 6, ["##s"] = 7, ["!"] = 8, ["play"] = 9, ["##ing"] = 10,
        };
        return new WordPieceTokenizer(new Vocabulary(vocab, "test"), new BertNormalizerOptions(), new WordPieceOptions());
    }

    public static TheoryData<string> Kinds => new() { "wordpiece", "bpe" };

    private static ITokenizer Make(string kind) => kind == "bpe" ? Bpe() : SmallWordPiece();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void UnpairedSurrogate_IsRejectedNamingTheIndex(string kind)
    {
        ITokenizer tokenizer = Make(kind);
        ArgumentException e = Assert.Throws<ArgumentException>(() => tokenizer.Encode("ok \ud800 bad"));
        Assert.Contains("index 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => tokenizer.Encode("ends with \udc00"));
        Assert.Contains("unpaired", e.Message);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EmptyText_GivesNoTokens(string kind)
    {
        Assert.Empty(Make(kind).Encode(string.Empty));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EncodeTo_AppendsWithOffsetsRelativeToTheSlice(string kind)
    {
        ITokenizer tokenizer = Make(kind);
        const string whole = "xx hello worlds!";
        var output = new List<TokenSpan> { new(99, 0, 0) };
        tokenizer.EncodeTo(whole.AsSpan(3), output);
        Assert.Equal(new TokenSpan(99, 0, 0), output[0]);
        Assert.Equal(tokenizer.Encode(whole[3..]), output.Skip(1));
    }

    [Fact]
    public void WordPiece_SmallVocab_SplitsAndMarksUnknownWords()
    {
        ITokenizer tokenizer = SmallWordPiece();
        Assert.Equal(
            new[] { new TokenSpan(5, 0, 5), new TokenSpan(6, 6, 11), new TokenSpan(7, 11, 12), new TokenSpan(8, 12, 13), new TokenSpan(1, 14, 19), new TokenSpan(9, 20, 24), new TokenSpan(10, 24, 27) },
            tokenizer.Encode("Hello worlds! xyzzy playing"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ConcurrentCalls_GiveTheSameTokensAsSequentialCalls(string kind)
    {
        ITokenizer tokenizer = Make(kind);
        string[] texts = Enumerable.Range(0, 64).Select(i => $"hello worlds {i} ünïcödé 北京 {new string('s', i % 7)} playing!").ToArray();
        TokenSpan[][] expected = texts.Select(tokenizer.Encode).ToArray();
        var actual = new TokenSpan[texts.Length][];
        Parallel.For(0, texts.Length * 8, i => actual[i % texts.Length] = tokenizer.Encode(texts[i % texts.Length]));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }
}
