using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Server.Tests.Service;

/// <summary>
/// The adversarial cases of issue 17 that do not depend on the transport, each against a real server
/// process through a real client: unknown enum values, request truncation of the combined sequence,
/// the name limits the proto promises, EncodeDocument's all-or-nothing names, bounded error text,
/// forged page tokens, dangling names and upper-case ids. The tiny model joins at most 64 tokens.
/// </summary>
public class HardeningTests(TinyServerFixture fixture) : IClassFixture<TinyServerFixture>
{
    private LaitClient Client => fixture.Server.Client;

    private static string Words(int count, int seed) =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => TinyModelWriter.Vocabulary[(i * 7 + seed) % TinyModelWriter.Vocabulary.Count]));

    private static EncodeSegmentRequest Text(string text, Role role = Role.Other, SegmentName? name = null) =>
        new() { Segment = new SegmentInput { Text = text, Role = role }, Name = name };

    private Task<List<EncodeSegmentResponse>> EncodeAsync(params EncodeSegmentRequest[] requests) =>
        EncodeStream.EncodeAllAsync(Client, requests, TimeSpan.FromSeconds(30));

    private static SegmentRef Inline(string text) => new() { Inline = new SegmentInput { Text = text } };

    private static SegmentRef ByName(string ns, string name) => new() { Name = new SegmentName { Namespace = ns, Name = name } };

    private static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(code == ex.StatusCode, $"expected {code}, got {ex.StatusCode}: {ex.Status.Detail}");
        return ex;
    }

    // ---------------------------------------------------------------- 1: unknown enum values

    [Theory]
    [InlineData("task")]
    [InlineData("aggregation")]
    [InlineData("truncation")]
    [InlineData("segments[1].inline.role")]
    [InlineData("segments[0].inline.truncation")]
    public async Task Combine_UnknownEnumValueIsInvalidArgumentNamingTheField(string field)
    {
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.Add(Inline("the sky is blue ."));
        request.Segments.Add(Inline("the sky is green ."));
        switch (field)
        {
            case "task": request.Task = (TaskType)99; break;
            case "aggregation": request.Aggregation = (Aggregation)99; break;
            case "truncation": request.Truncation = (Truncation)99; break;
            case "segments[1].inline.role": request.Segments[1].Inline.Role = (Role)(-1); break;
            case "segments[0].inline.truncation": request.Segments[0].Inline.Truncation = (Truncation)7; break;
        }
        var ex = await FailsWith(StatusCode.InvalidArgument, () => Client.CombineAsync(request).ResponseAsync);
        Assert.StartsWith(field + " is ", ex.Status.Detail);
        Assert.Contains("use one of", ex.Status.Detail);
    }

    [Fact]
    public async Task EncodeSegment_UnknownRoleOrDurabilityIsAnItemErrorNamingTheField()
    {
        var acks = await EncodeAsync(
            Text("the moon is cold .", (Role)3),
            Text("the moon is cold .", (Role)99),
            new EncodeSegmentRequest { Segment = new SegmentInput { Text = "the moon is cold ." }, Durability = (Durability)99 },
            new EncodeSegmentRequest { Segment = new SegmentInput { Text = "the moon is cold .", Truncation = (Truncation)5 } },
            Text("the moon is cold ."));

        Assert.Equal((int)StatusCode.InvalidArgument, acks[0].Error?.Code);
        Assert.StartsWith("segment.role is 3", acks[0].Error!.Message);
        Assert.StartsWith("segment.role is 99", acks[1].Error!.Message);
        Assert.StartsWith("durability is 99", acks[2].Error!.Message);
        Assert.StartsWith("segment.truncation is 5", acks[3].Error!.Message);
        Assert.Null(acks[4].Error);
        Assert.Matches("^[0-9a-f]{64}$", acks[4].SegmentId);
    }

    [Fact]
    public async Task EncodeDocument_UnknownRoleIsInvalidArgument()
    {
        var ex = await FailsWith(StatusCode.InvalidArgument,
            () => Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = "the sun is hot .", Role = (Role)3 }).ResponseAsync);
        Assert.StartsWith("role is 3", ex.Status.Detail);
        ex = await FailsWith(StatusCode.InvalidArgument,
            () => Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = "the sun is hot .", Durability = (Durability)99 }).ResponseAsync);
        Assert.StartsWith("durability is 99", ex.Status.Detail);
    }

    // ---------------------------------------------------------------- 2 and 10: the combined sequence

    [Fact]
    public async Task Combine_RequestTruncationCutsTheCombinedSequenceToTheModelLimit()
    {
        string first = Words(40, 1), second = Words(40, 2); // 42 + 41 tokens; the model joins 64
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.Add(Inline(first));
        request.Segments.Add(Inline(second));

        var refused = await FailsWith(StatusCode.ResourceExhausted, () => Client.CombineAsync(request).ResponseAsync);
        Assert.Contains("the combined sequence has 83 tokens", refused.Status.Detail);
        Assert.Contains("TRUNCATION_TRUNCATE", refused.Status.Detail);

        request.Truncation = Truncation.Truncate;
        var cut = await Client.CombineAsync(request);
        Assert.True(cut.Truncated);

        // The same answer as sending the second segment already cut to the 64 - 42 = 22 tokens left (21 + [SEP]).
        var acks = await EncodeAsync(Text(first, Role.First), Text(second));
        var got = await Client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { acks[1].SegmentId }, IncludeTokens = true });
        var content = got.Found[0].TokenIds.Take(got.Found[0].TokenIds.Count - 1).Take(21).ToArray();
        var exact = new CombineRequest { Task = TaskType.Classify };
        exact.Segments.Add(Inline(first));
        exact.Segments.Add(new SegmentRef { Inline = new SegmentInput { TokenIds = new TokenIds { Ids = { content } } } });
        var expected = await Client.CombineAsync(exact);

        Assert.Equal(acks[0].SegmentId, cut.SegmentIds[0]); // the first segment is not touched
        Assert.Equal(expected.SegmentIds[1], cut.SegmentIds[1]);
        Assert.NotEqual(acks[1].SegmentId, cut.SegmentIds[1]);
        Assert.Equal(expected.Classification.Scores.Select(s => s.Probability), cut.Classification.Scores.Select(s => s.Probability));
    }

    [Fact]
    public async Task Combine_ClaimPairsAreCheckedBeforeComputeAndCutWithTruncation()
    {
        string claim = Words(40, 3);
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.Add(Inline(claim));
        for (int e = 0; e < 8; e++) request.Segments.Add(Inline(Words(40, 10 + e)));

        // Refused from the token counts alone (this message comes before any tower or joint work).
        var refused = await FailsWith(StatusCode.ResourceExhausted, () => Client.CombineAsync(request).ResponseAsync);
        Assert.StartsWith("8 claim + evidence pair(s) are longer than the 64 tokens the model joins", refused.Status.Detail);
        Assert.Contains("segments[0] + segments[1] = 83", refused.Status.Detail);

        request.Truncation = Truncation.Truncate;
        var cut = await Client.CombineAsync(request);
        Assert.True(cut.Truncated);
        Assert.Equal(8, cut.ClaimVerification.Evidence.Count);
        var claimAck = await EncodeAsync(Text(claim, Role.First));
        Assert.Equal(claimAck[0].SegmentId, cut.SegmentIds[0]); // evidence is cut before the claim
    }

    [Fact]
    public async Task Combine_StoredSegmentsAreNeverCut()
    {
        var acks = await EncodeAsync(Text(Words(40, 4), Role.First), Text(Words(40, 5)));
        var request = new CombineRequest { Task = TaskType.Classify, Truncation = Truncation.Truncate };
        request.Segments.Add(new SegmentRef { SegmentId = acks[0].SegmentId });
        request.Segments.Add(new SegmentRef { SegmentId = acks[1].SegmentId });
        var ex = await FailsWith(StatusCode.ResourceExhausted, () => Client.CombineAsync(request).ResponseAsync);
        Assert.Contains("stored segments are never cut", ex.Status.Detail);
    }

    // ---------------------------------------------------------------- 3: the name limits the proto promises

    [Fact]
    public async Task Names_NamespaceOf128AndNameOf512CharactersAreAcceptedAsPromised()
    {
        string ns = new('n', 128);
        string accents = string.Concat(Enumerable.Repeat("é", 512));       // 1,024 UTF-8 bytes
        string emoji = string.Concat(Enumerable.Repeat("😀", 512));        // 1,024 UTF-16 units, 2,048 UTF-8 bytes
        var acks = await EncodeAsync(
            Text("the cat is an animal .", name: new SegmentName { Namespace = ns, Name = accents }),
            Text("the dog is an animal .", name: new SegmentName { Namespace = ns, Name = emoji }),
            Text("the dog is an animal .", name: new SegmentName { Namespace = ns + "n", Name = "x" }),
            Text("the dog is an animal .", name: new SegmentName { Namespace = ns, Name = accents + "é" }),
            Text("the dog is an animal .", name: new SegmentName { Namespace = "ns", Name = "a\u0007b" }));

        Assert.Null(acks[0].Error);
        Assert.Null(acks[1].Error);
        Assert.Equal((int)StatusCode.InvalidArgument, acks[2].Error?.Code);
        Assert.StartsWith("name.namespace must be 1-128 characters", acks[2].Error!.Message);
        Assert.Contains("(129 characters)", acks[2].Error!.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, acks[3].Error?.Code);
        Assert.Equal("name.name must be 1-512 characters, got 513", acks[3].Error!.Message);
        Assert.Contains("control characters", acks[4].Error!.Message);

        var got = await Client.GetSegmentsAsync(new GetSegmentsRequest { Names = { new SegmentName { Namespace = ns, Name = accents }, new SegmentName { Namespace = ns, Name = emoji } } });
        Assert.Equal([acks[0].SegmentId, acks[1].SegmentId], got.Found.Select(f => f.SegmentId));
        var listed = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = ns });
        Assert.Equal(new[] { accents, emoji }, listed.Segments.Select(s => s.Name.Name));
    }

    // ---------------------------------------------------------------- 4: EncodeDocument names all or nothing

    [Fact]
    public async Task EncodeDocument_NamePrefixTooLongForTheLastSentenceFailsBeforeAnythingIsStored()
    {
        string doc = string.Join("\n\n", Enumerable.Range(0, 11).Select(i => $"{Words(3, 20 + i)} {i} river ."));
        var tooLong = new EncodeDocumentRequest { Text = doc, Namespace = "partial", NamePrefix = new string('p', 510) };
        var ex = await FailsWith(StatusCode.InvalidArgument, () => Client.EncodeDocumentAsync(tooLong).ResponseAsync);
        Assert.StartsWith("name_prefix has 510 characters", ex.Status.Detail);
        Assert.Contains("at most 509", ex.Status.Detail);

        Assert.Empty((await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "partial" })).Segments);
        var firstSentence = await EncodeAsync(Text($"{Words(3, 20)} 0 river ."));
        Assert.False(firstSentence[0].AlreadyStored); // nothing of the failed call was stored

        var fits = await Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = doc, Namespace = "partial", NamePrefix = new string('p', 509) });
        Assert.Equal(11, fits.Sentences.Count);
        var listed = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "partial" });
        Assert.Equal(11, listed.Segments.Count);
        Assert.Contains(listed.Segments, s => s.Name.Name == new string('p', 509) + "/10");
    }

    // ---------------------------------------------------------------- 5: bounded error text

    [Fact]
    public async Task ErrorMessagesQuoteABoundedPartOfTheInput()
    {
        var ex = await FailsWith(StatusCode.NotFound,
            () => Client.DescribeModelAsync(new DescribeModelRequest { Model = new string('M', 20_000) }).ResponseAsync);
        Assert.True(ex.Status.Detail.Length < 300, ex.Status.Detail);
        Assert.Contains("(20000 characters)", ex.Status.Detail);

        var missing = new CombineRequest { Task = TaskType.Classify };
        for (int i = 0; i < 200; i++) missing.Segments.Add(new SegmentRef { SegmentId = i.ToString("x64") });
        ex = await FailsWith(StatusCode.NotFound, () => Client.CombineAsync(missing).ResponseAsync);
        Assert.Contains("and 192 more", ex.Status.Detail);
        Assert.True(ex.Status.Detail.Length <= 1024, $"{ex.Status.Detail.Length} characters");

        var badNamespace = await FailsWith(StatusCode.InvalidArgument,
            () => Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = new string('!', 1 << 20) }).ResponseAsync);
        Assert.True(badNamespace.Status.Detail.Length < 300, $"{badNamespace.Status.Detail.Length} characters");
    }

    // ---------------------------------------------------------------- 8: page tokens

    [Theory]
    [InlineData("AAAA")]
    [InlineData("_-_-")]
    [InlineData("a")]
    [InlineData("long")]
    [InlineData("other-namespace")]
    [InlineData("altered")]
    public async Task ListSegments_PageTokenNotIssuedForThisListingIsInvalidArgument(string kind)
    {
        await EncodeAsync(
            Text("the star is old .", name: new SegmentName { Namespace = "tokens", Name = "a" }),
            Text("the star is new .", name: new SegmentName { Namespace = "tokens", Name = "b" }),
            Text("the star is old .", name: new SegmentName { Namespace = "tokens-2", Name = "a" }),
            Text("the star is new .", name: new SegmentName { Namespace = "tokens-2", Name = "b" }));
        var first = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "tokens", PageSize = 1 });
        string issued = first.NextPageToken;
        Assert.NotEmpty(issued);
        var next = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "tokens", PageSize = 1, PageToken = issued });
        Assert.Equal("b", Assert.Single(next.Segments).Name.Name);

        string token = kind switch
        {
            "long" => new string('a', 10_000),
            "other-namespace" => issued,
            "altered" => issued[..^2] + (issued[^2] == 'A' ? "B" : "A") + issued[^1],
            _ => kind,
        };
        string ns = kind == "other-namespace" ? "tokens-2" : "tokens";
        var ex = await FailsWith(StatusCode.InvalidArgument,
            () => Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = ns, PageToken = token }).ResponseAsync);
        Assert.StartsWith("page_token was not issued by this server", ex.Status.Detail);
    }

    // ---------------------------------------------------------------- 9: dangling names

    [Fact]
    public async Task DanglingNames_AreAbsentFromListGetCombineAndDelete()
    {
        const string ns = "dangling";
        string text = "the bird can fly .";
        var acks = await EncodeAsync(
            Text(text, name: new SegmentName { Namespace = ns, Name = "A" }),
            Text(text, name: new SegmentName { Namespace = ns, Name = "B" }),
            Text("the cat is small .", name: new SegmentName { Namespace = ns, Name = "C" }));
        Assert.Equal(acks[0].SegmentId, acks[1].SegmentId); // one segment, two names

        var deleted = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { Names = { new SegmentName { Namespace = ns, Name = "A" } } });
        Assert.Equal(1, deleted.Deleted);
        Assert.Empty(deleted.NotFoundNames);

        // B points at the deleted segment: every RPC treats it as absent.
        var combine = new CombineRequest { Task = TaskType.VerifyClaim };
        combine.Segments.Add(Inline("the bird is an animal ."));
        combine.Segments.Add(ByName(ns, "B"));
        var notFound = await FailsWith(StatusCode.NotFound, () => Client.CombineAsync(combine).ResponseAsync);
        Assert.Contains("segment names not found: 'dangling/B'", notFound.Status.Detail);
        Assert.DoesNotContain(acks[0].SegmentId, notFound.Status.Detail);
        var got = await Client.GetSegmentsAsync(new GetSegmentsRequest { Names = { new SegmentName { Namespace = ns, Name = "B" } } });
        Assert.Empty(got.Found);
        Assert.Equal("B", Assert.Single(got.MissingNames).Name);
        var again = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { Names = { new SegmentName { Namespace = ns, Name = "B" } } });
        Assert.Equal(0, again.Deleted);
        Assert.Equal("B", Assert.Single(again.NotFoundNames).Name);
        Assert.Equal(["C"], await ListedNames(ns));

        // Deleted by id: both names dangle; the listing skips them, deleting them finds nothing (and removes them).
        await EncodeAsync(
            Text(text, name: new SegmentName { Namespace = ns, Name = "A" }),
            Text(text, name: new SegmentName { Namespace = ns, Name = "B" }));
        Assert.Equal(1, (await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { SegmentIds = { acks[0].SegmentId } })).Deleted);
        Assert.Equal(["C"], await ListedNames(ns));
        var byName = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest
        {
            Names = { new SegmentName { Namespace = ns, Name = "A" }, new SegmentName { Namespace = ns, Name = "B" } },
        });
        Assert.Equal(0, byName.Deleted);
        Assert.Equal(["A", "B"], byName.NotFoundNames.Select(n => n.Name));

        // Two names of one segment in one call: both found, the segment counted once.
        await EncodeAsync(
            Text(text, name: new SegmentName { Namespace = ns, Name = "A" }),
            Text(text, name: new SegmentName { Namespace = ns, Name = "B" }));
        Assert.Equal(["A", "B", "C"], await ListedNames(ns));
        var both = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest
        {
            Names = { new SegmentName { Namespace = ns, Name = "A" }, new SegmentName { Namespace = ns, Name = "B" } },
        });
        Assert.Equal(1, both.Deleted);
        Assert.Empty(both.NotFoundNames);
        Assert.Equal(["C"], await ListedNames(ns));
    }

    private async Task<List<string>> ListedNames(string ns) =>
        (await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = ns })).Segments.Select(s => s.Name.Name).ToList();

    // ---------------------------------------------------------------- 10: id case

    [Fact]
    public async Task SegmentIds_UpperCaseIsAcceptedEverywhereAndAnsweredInLowerCase()
    {
        var acks = await EncodeAsync(Text("the sun is a star .", Role.First), Text("the sun is hot ."));
        string upper = acks[1].SegmentId.ToUpperInvariant();

        var got = await Client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { upper } });
        Assert.Equal(acks[1].SegmentId, Assert.Single(got.Found).SegmentId);
        var combine = new CombineRequest { Task = TaskType.Classify };
        combine.Segments.Add(new SegmentRef { SegmentId = acks[0].SegmentId.ToUpperInvariant() });
        combine.Segments.Add(new SegmentRef { SegmentId = upper });
        Assert.Equal([acks[0].SegmentId, acks[1].SegmentId], (await Client.CombineAsync(combine)).SegmentIds);
        var deleted = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { SegmentIds = { upper } });
        Assert.Equal(1, deleted.Deleted);
        var gone = await Client.DeleteSegmentsAsync(new DeleteSegmentsRequest { SegmentIds = { upper } });
        Assert.Equal([acks[1].SegmentId], gone.NotFoundIds);
    }
}
