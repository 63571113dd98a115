using System.Text;
using Grpc.Core;
using Lait.Server.Interceptors;
using Lait.Protos.V1;
using Lait.Server.Models;
using Lait.Server.Validation;
using StoreRole = Lait.Store.Ids.SegmentRole;

namespace Lait.Server.Tests.Validation;

public class ErrorTextTests
{
    [Fact]
    public void QuoteCutsLongInputAndSaysHowLongItWas()
    {
        Assert.Equal("'abc'", ErrorText.Quote("abc"));
        string quoted = ErrorText.Quote(new string('M', 20_000));
        Assert.Equal($"'{new string('M', ErrorText.MaxQuotedChars)}...' (20000 characters)", quoted);
        // A surrogate pair straddling the cut is not split.
        string emoji = new string('x', ErrorText.MaxQuotedChars - 1) + "😀😀";
        Assert.Equal($"'{new string('x', ErrorText.MaxQuotedChars - 1)}...' ({emoji.Length} characters)", ErrorText.Quote(emoji));
    }

    [Fact]
    public void CapKeepsMessagesWithinTheByteBoundOnACharacterBoundary()
    {
        Assert.Equal("short", ErrorText.Cap("short"));
        string capped = ErrorText.Cap(string.Concat(Enumerable.Repeat("é😀", 2000)));
        Assert.True(Encoding.UTF8.GetByteCount(capped) <= ErrorText.MaxMessageBytes);
        Assert.EndsWith("... (message cut)", capped);
        Assert.DoesNotContain('\uFFFD', capped);
    }

    [Fact]
    public void ListNamesTheFirstItemsAndCountsTheRest()
    {
        Assert.Equal("0, 1, 2", ErrorText.List(["0", "1", "2"]));
        var many = Enumerable.Range(0, ErrorText.MaxListedItems + 5).Select(i => i.ToString());
        Assert.Equal(string.Join(", ", Enumerable.Range(0, ErrorText.MaxListedItems)) + " and 5 more", ErrorText.List(many));
    }

    [Fact]
    public void CappedKeepsTheStatusCode()
    {
        var ex = RequestError.Capped(new RpcException(new Status(StatusCode.NotFound, new string('x', 50_000))));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.True(ex.Status.Detail.Length <= ErrorText.MaxMessageBytes);
        var shortOne = new RpcException(new Status(StatusCode.NotFound, "short"));
        Assert.Same(shortOne, RequestError.Capped(shortOne));
    }
}

public class RequestValidatorTests
{
    private static string Fails(Action check)
    {
        // Validators throw the server's request-error type (ErrorInterceptor turns it into the
        // status); since the move to Grpc.AspNetCore it is no longer an RpcException.
        var ex = Assert.Throws<RequestException>(check);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        return ex.Message;
    }

    [Fact]
    public void EveryKnownEnumValuePassesAndAnUnknownOneNamesFieldAndChoices()
    {
        foreach (var role in Enum.GetValues<Role>()) RequestValidator.Enum(role, "role");
        foreach (var task in Enum.GetValues<TaskType>()) RequestValidator.Enum(task, "task");
        string detail = Fails(() => RequestValidator.Enum((Aggregation)99, "aggregation"));
        Assert.Equal("aggregation is 99, which is not a value of Aggregation: use one of AGGREGATION_UNSPECIFIED (0), AGGREGATION_MAX_CONFIDENCE (1), " +
            "AGGREGATION_MEAN (2), AGGREGATION_MAJORITY (3)", detail);
        Assert.StartsWith("durability is -1,", Fails(() => RequestValidator.Enum((Durability)(-1), "durability")));
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(128, true)]
    [InlineData(129, false)]
    [InlineData(0, false)]
    public void NamespaceIsOneTo128CharactersOfTheAllowedSet(int length, bool ok)
    {
        string ns = new('a', length);
        if (ok) RequestValidator.Namespace(ns, "namespace");
        else Assert.StartsWith("namespace must be 1-128 characters", Fails(() => RequestValidator.Namespace(ns, "namespace")));
        Fails(() => RequestValidator.Namespace("a/b", "namespace"));
        Fails(() => RequestValidator.Namespace("a{b}", "namespace"));
    }

    [Fact]
    public void NameCountsCodePointsNotBytesOrUtf16Units()
    {
        RequestValidator.Name(new SegmentName { Namespace = "n", Name = string.Concat(Enumerable.Repeat("😀", 512)) }, "name");
        RequestValidator.Name(new SegmentName { Namespace = "n", Name = new string('é', 512) }, "name");
        Assert.Equal("name.name must be 1-512 characters, got 513",
            Fails(() => RequestValidator.Name(new SegmentName { Namespace = "n", Name = new string('é', 513) }, "name")));
        Assert.Contains("lone surrogate", Fails(() => RequestValidator.Name(new SegmentName { Namespace = "n", Name = "a\uD800b" }, "name")));
        Assert.Contains("control characters", Fails(() => RequestValidator.Name(new SegmentName { Namespace = "n", Name = "a\tb" }, "x")));
        Assert.StartsWith("x.namespace", Fails(() => RequestValidator.Name(new SegmentName { Namespace = "", Name = "a" }, "x")));
    }

    [Theory]
    [InlineData(11, 509, true)]
    [InlineData(11, 510, false)]
    [InlineData(10, 510, true)]
    [InlineData(1, 510, true)]
    [InlineData(101, 508, true)]
    [InlineData(101, 509, false)]
    public void DocumentNamePrefixLeavesRoomForTheLargestSentenceIndex(int sentences, int prefix, bool ok)
    {
        var request = new EncodeDocumentRequest { Text = "x", Namespace = "docs", NamePrefix = new string('p', prefix) };
        if (ok) RequestValidator.Check(request, sentences);
        else Assert.StartsWith($"name_prefix has {prefix} characters", Fails(() => RequestValidator.Check(request, sentences)));
    }

    [Fact]
    public void DocumentNamespaceAndPrefixGoTogether()
    {
        Assert.StartsWith("namespace and name_prefix go together",
            Fails(() => RequestValidator.Check(new EncodeDocumentRequest { Text = "x", NamePrefix = "p" }, 1)));
        RequestValidator.Check(new EncodeDocumentRequest { Text = "x" }, 1);
    }
}

public class JointFitTests
{
    private static int[] Plan(TaskType task, bool truncate, int[] lengths, bool[] cuttable) =>
        JointFit.Plan(task, 64, truncate, lengths, cuttable);

    [Fact]
    public void ASequenceThatFitsIsLeftAlone()
    {
        Assert.Equal([30, 34], Plan(TaskType.Classify, false, [30, 34], [true, true]));
        Assert.Equal([4, 60, 60], Plan(TaskType.VerifyClaim, false, [4, 60, 60], [true, false, true]));
    }

    [Fact]
    public void WithoutTruncationAnOverlongSequenceIsRefusedBeforeCompute()
    {
        var ex = Assert.Throws<RequestException>(() => Plan(TaskType.Classify, false, [42, 41], [true, true]));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.StartsWith("the combined sequence has 83 tokens (segments[0] 42, segments[1] 41)", ex.Message);
    }

    [Fact]
    public void TruncationCutsFromTheEndDownToThreeTokensASegment()
    {
        Assert.Equal([42, 22], Plan(TaskType.Classify, true, [42, 41], [true, true]));
        Assert.Equal([58, 3, 3], Plan(TaskType.Classify, true, [60, 30, 30], [true, true, true]));
        Assert.Equal([30, 34], Plan(TaskType.Classify, true, [30, 40], [false, true]));
        Assert.Equal([34, 30], Plan(TaskType.Classify, true, [60, 30], [true, false]));
        var ex = Assert.Throws<RequestException>(() => Plan(TaskType.Classify, true, [60, 63], [true, false]));
        Assert.Contains("stored segments are never cut", ex.Message);
    }

    [Fact]
    public void ClaimPairsCutTheEvidenceFirstThenTheSharedClaim()
    {
        Assert.Equal([42, 22, 10], Plan(TaskType.VerifyClaim, true, [42, 41, 10], [true, true, true]));
        // Stored evidence of 50 leaves the claim 14 tokens in every pair.
        Assert.Equal([14, 50, 41], Plan(TaskType.VerifyClaim, true, [42, 50, 41], [true, false, true]));
        var ex = Assert.Throws<RequestException>(() => Plan(TaskType.VerifyClaim, false, [42, 41, 10, 50], [true, true, true, true]));
        Assert.StartsWith("2 claim + evidence pair(s) are longer than the 64 tokens the model joins (segments[0] + segments[1] = 83, segments[0] + segments[3] = 92)", ex.Message);
        Assert.Throws<RequestException>(() => Plan(TaskType.VerifyClaim, true, [42, 63], [false, false]));
    }

    [Fact]
    public void CutKeepsTheLeadingTokensAndTheFinalSeparator()
    {
        var segment = new TokenizedSegment([101, 5, 6, 7, 8, 102], [(0, 0), (0, 1), (2, 3), (4, 5), (6, 7), (0, 0)], StoreRole.First, false);
        var cut = JointFit.Cut(segment, 4);
        Assert.Equal([101, 5, 6, 102], cut.TokenIds);
        Assert.Equal([(0, 0), (0, 1), (2, 3), (0, 0)], cut.Offsets);
        Assert.True(cut.Truncated);
        Assert.Same(segment, JointFit.Cut(segment, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => JointFit.Cut(segment, 2));
    }

    [Fact]
    public void ApplyCutsOnlyInlineSegments()
    {
        var inline = new List<(int Index, TokenizedSegment Segment, string Text)>
        {
            (1, new TokenizedSegment(Enumerable.Range(1, 41).ToArray(), new (int, int)[41], StoreRole.Other, false), "text"),
        };
        JointFit.Apply(TaskType.Classify, 64, truncate: true, count: 2, storedLength: _ => 42, inline);
        Assert.Equal(22, inline[0].Segment.TokenIds.Length);
        Assert.Equal(41, inline[0].Segment.TokenIds[^1]);
        Assert.Equal("text", inline[0].Text);
    }
}
