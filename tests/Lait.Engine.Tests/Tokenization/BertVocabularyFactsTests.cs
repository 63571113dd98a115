using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>Hand-checked expectations about the bert-base-uncased vocabulary (which all-MiniLM-L6-v2 uses),
/// independent of any golden generator.</summary>
public sealed class BertVocabularyFactsTests
{
    private static WordPieceTokenizer Uncased() =>
        TokenizerLoader.FromVocabTxt(Path.Combine(SharedData.Require(SharedData.MiniLmFolder), "vocab.txt"));

    private static string[] Tokens(ITokenizer tokenizer, string text) =>
        tokenizer.Encode(text).Select(t => tokenizer.Vocabulary[t.Id]!).ToArray();

    [SharedDataFact]
    public void SpecialTokenIds_AreTheWellKnownOnes()
    {
        SpecialTokenIds s = Uncased().SpecialTokens;
        Assert.Equal(new SpecialTokenIds(Cls: 101, Sep: 102, Pad: 0, Unk: 100, Mask: 103), s);
    }

    [SharedDataFact]
    public void JimHenson_IsThePublishedExample()
    {
        // The Hugging Face BERT docs' example: [CLS] jim henson was a puppet ##eer [SEP] = 101 3958 27227 2001 1037 13997 11510 102.
        WordPieceTokenizer tokenizer = Uncased();
        Assert.Equal(new[] { 3958, 27227, 2001, 1037, 13997, 11510 }, tokenizer.Encode("Jim Henson was a puppeteer").Select(t => t.Id));
        Assert.Equal(new[] { "jim", "henson", "was", "a", "puppet", "##eer" }, Tokens(tokenizer, "Jim Henson was a puppeteer"));
    }

    [SharedDataFact]
    public void HelloWorld_Ids()
    {
        Assert.Equal(new[] { 7592, 1010, 2088, 999 }, Uncased().Encode("Hello, world!").Select(t => t.Id));
    }

    [SharedDataFact]
    public void Unaffable_IsNotSplitAsInTheBertReadme_BecauseThisVocabHasNoAffPiece()
    {
        // BERT's README shows "unaffable" -> un ##aff ##able for an illustrative vocabulary. bert-base-uncased has
        // "un" and "##able" but no "##aff", so greedy longest-match takes "una" first.
        WordPieceTokenizer tokenizer = Uncased();
        Assert.True(tokenizer.Vocabulary.TryGetId("un", out _));
        Assert.True(tokenizer.Vocabulary.TryGetId("##able", out _));
        Assert.False(tokenizer.Vocabulary.TryGetId("##aff", out _));
        Assert.Equal(new[] { "una", "##ffa", "##ble" }, Tokens(tokenizer, "unaffable"));
    }

    [SharedDataFact]
    public void AccentsAreStrippedButOffsetsPointAtTheOriginalCharacters()
    {
        WordPieceTokenizer tokenizer = Uncased();
        const string text = "Café CRÈME";
        TokenSpan[] tokens = tokenizer.Encode(text);
        Assert.Equal(new[] { "cafe", "cr", "##eme" }, tokens.Select(t => tokenizer.Vocabulary[t.Id]));
        Assert.Equal(new[] { "Café", "CR", "ÈME" }, tokens.Select(t => text[t.Start..t.End]));
    }

    [SharedDataFact]
    public void DecomposedAccents_SameIdsAsPrecomposed_OffsetsCoverTheMarks()
    {
        WordPieceTokenizer tokenizer = Uncased();
        TokenSpan[] precomposed = tokenizer.Encode("café");
        TokenSpan[] decomposed = tokenizer.Encode("cafe\u0301");
        Assert.Equal(precomposed.Select(t => t.Id), decomposed.Select(t => t.Id));
        // The dropped mark belongs to no token: the word ends after the 'e', before the mark.
        Assert.Equal(0, decomposed[0].Start);
        Assert.Equal(4, decomposed[^1].End);
    }

    [SharedDataFact]
    public void CjkIdeographs_AreSingleCharacterWords_EmojiIsUnknown()
    {
        WordPieceTokenizer tokenizer = Uncased();
        Assert.Equal(new[] { "北", "京" }, Tokens(tokenizer, "北京"));
        TokenSpan[] emoji = tokenizer.Encode("a 😀 b");
        Assert.Equal(tokenizer.SpecialTokens.Unk, emoji[1].Id);
        Assert.Equal((2, 4), (emoji[1].Start, emoji[1].End)); // a surrogate pair: two UTF-16 units
    }

    [SharedDataFact]
    public void WordLongerThanMaxChars_IsOneUnknownCoveringTheWord()
    {
        WordPieceTokenizer tokenizer = Uncased();
        string word = new('a', 101);
        TokenSpan[] tokens = tokenizer.Encode("x " + word + " y");
        Assert.Equal(3, tokens.Length);
        Assert.Equal(new TokenSpan(100, 2, 103), tokens[1]);
        Assert.DoesNotContain(tokenizer.Encode(new string('a', 100)), t => t.Id == tokenizer.SpecialTokens.Unk);
    }

    [SharedDataFact]
    public void SpecialTokenText_IsOrdinaryText_NotASegmentBoundary()
    {
        WordPieceTokenizer tokenizer = Uncased();
        TokenSpan[] tokens = tokenizer.Encode("a [SEP] b");
        Assert.DoesNotContain(tokens, t => t.Id == tokenizer.SpecialTokens.Sep);
        Assert.Equal("[", tokenizer.Vocabulary[tokens[1].Id]);
    }

    [SharedDataFact]
    public void EmptyAndWhitespaceOnlyText_GiveNoTokens()
    {
        WordPieceTokenizer tokenizer = Uncased();
        Assert.Empty(tokenizer.Encode(""));
        Assert.Empty(tokenizer.Encode(" \t\n\u00a0\u200b\u3000"));
    }
}
