using Lait.Server.Text;

namespace Lait.Server.Tests.Text;

public class SentenceSplitterTests
{
    private static string[] Sentences(string text) =>
        SentenceSplitter.Split(text).Select(s => text[s.Start..s.End]).ToArray();

    [Fact]
    public void SplitsAtTerminatorsFollowedByCapital()
    {
        Assert.Equal(
            ["The sky is blue.", "Grass is green!", "Is water wet?"],
            Sentences("The sky is blue. Grass is green! Is water wet?"));
    }

    [Fact]
    public void OffsetsPointIntoTheOriginalText()
    {
        const string text = "  First one.   Second one.\n";
        var spans = SentenceSplitter.Split(text);
        Assert.Equal(2, spans.Count);
        Assert.Equal("First one.", text[spans[0].Start..spans[0].End]);
        Assert.Equal(2, spans[0].Start);
        Assert.Equal("Second one.", text[spans[1].Start..spans[1].End]);
    }

    [Fact]
    public void AbbreviationsInitialsAndDecimalsDoNotEndASentence()
    {
        Assert.Equal(
            ["Dr. Smith paid 3.50 dollars to J. R. Jones, e.g. for lunch.", "Then he left."],
            Sentences("Dr. Smith paid 3.50 dollars to J. R. Jones, e.g. for lunch. Then he left."));
    }

    [Fact]
    public void ClosingQuotesStayWithTheirSentence()
    {
        Assert.Equal(["He said \"stop.\"", "She stopped."], Sentences("He said \"stop.\" She stopped."));
    }

    [Fact]
    public void LowercaseAfterPeriodContinuesTheSentence()
    {
        Assert.Equal(["The value was approx. ten units."], Sentences("The value was approx. ten units."));
        Assert.Equal(["See fig. three for details."], Sentences("See fig. three for details."));
    }

    [Fact]
    public void BlankLinesAndHeadingsSplit()
    {
        Assert.Equal(["Title", "Body text here.", "Next paragraph"],
            Sentences("Title\nBody text here.\n\nNext paragraph"));
    }

    [Fact]
    public void WrappedLineInsideASentenceDoesNotSplit()
    {
        Assert.Equal(["This sentence is wrapped\nacross two lines."],
            Sentences("This sentence is wrapped\nacross two lines."));
    }

    [Fact]
    public void EmptyAndWhitespaceGiveNoSentences()
    {
        Assert.Empty(SentenceSplitter.Split(""));
        Assert.Empty(SentenceSplitter.Split(" \n\t \n"));
    }

    [Fact]
    public void EllipsisAndRepeatedPunctuationAreOneTerminator()
    {
        Assert.Equal(["Wait...", "What?!", "Fine."], Sentences("Wait... What?! Fine."));
    }

    [Fact]
    public void CjkFullStopsSplit()
    {
        Assert.Equal(["今日は晴れ。", "明日は雨。"], Sentences("今日は晴れ。 明日は雨。"));
    }
}
