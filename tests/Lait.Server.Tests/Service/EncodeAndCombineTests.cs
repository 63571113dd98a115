using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Server.Tests.Service;

public class EncodeAndCombineTests(TinyServerFixture fixture) : IClassFixture<TinyServerFixture>
{
    private LaitClient Client => fixture.Server.Client;

    private static EncodeSegmentRequest Text(string text, Role role = Role.Other, string tag = "") =>
        new() { Segment = new SegmentInput { Text = text, Role = role }, ClientTag = tag };

    private Task<List<EncodeSegmentResponse>> EncodeAsync(params EncodeSegmentRequest[] requests) =>
        EncodeStream.EncodeAllAsync(Client, requests, TimeSpan.FromSeconds(30));

    private static SegmentRef Id(string id) => new() { SegmentId = id };

    private static SegmentRef Inline(string text) => new() { Inline = new SegmentInput { Text = text } };

    [Fact]
    public async Task EncodeSegment_AcknowledgesInOrderWithContentIds()
    {
        var acks = await EncodeAsync(
            Text("The sky is blue.", Role.First, "a"), Text("Grass is green.", Role.Other, "b"), Text("Water is wet.", Role.Other, "c"));

        Assert.Equal([0UL, 1UL, 2UL], acks.Select(a => a.Sequence));
        Assert.Equal(["a", "b", "c"], acks.Select(a => a.ClientTag));
        Assert.All(acks, a => Assert.Null(a.Error));
        Assert.All(acks, a => Assert.Matches("^[0-9a-f]{64}$", a.SegmentId));
        Assert.Equal(3, acks.Select(a => a.SegmentId).Distinct().Count());
        // "the sky is blue ." plus [CLS] and [SEP] for the first role; no [CLS] for the others.
        Assert.Equal(7, acks[0].TokenCount);
        Assert.Equal(5, acks[1].TokenCount);
    }

    [Fact]
    public async Task EncodeSegment_SameTextAndRoleGivesSameIdAndIsNotRecomputed()
    {
        var first = await EncodeAsync(Text("The cat is an animal.", Role.Other));
        var again = await EncodeAsync(Text("The cat is an animal.", Role.Other), Text("The cat is an animal.", Role.First));

        Assert.Equal(first[0].SegmentId, again[0].SegmentId);
        Assert.True(again[0].AlreadyStored);
        // The role is part of the id: the same text as FIRST is a different segment.
        Assert.NotEqual(first[0].SegmentId, again[1].SegmentId);
    }

    [Fact]
    public async Task EncodeSegment_BadSegmentGetsItsOwnErrorAndTheStreamGoesOn()
    {
        var acks = await EncodeAsync(
            Text("   "),
            new EncodeSegmentRequest { Segment = new SegmentInput { TokenIds = new TokenIds { Ids = { 5, 99999 } } } },
            new EncodeSegmentRequest(),
            Text("Fire is hot."));

        Assert.Equal(4, acks.Count);
        Assert.Equal((int)StatusCode.InvalidArgument, acks[0].Error.Code);
        Assert.Contains("empty", acks[0].Error.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, acks[1].Error.Code);
        Assert.Contains("99999", acks[1].Error.Message);
        Assert.Equal((int)StatusCode.InvalidArgument, acks[2].Error.Code);
        Assert.Null(acks[3].Error);
        Assert.Matches("^[0-9a-f]{64}$", acks[3].SegmentId);
    }

    [Fact]
    public async Task EncodeSegment_UnknownModelEndsTheStreamWithNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => EncodeAsync(new EncodeSegmentRequest
        {
            Model = "no-such-model",
            Segment = new SegmentInput { Text = "x" },
        }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains("no-such-model", ex.Status.Detail);
    }

    [Fact]
    public async Task Combine_StoredIdsGiveExactlyTheSameAnswerAsInlineTexts()
    {
        string claim = "Paris is the capital of France.";
        string[] evidence = ["Paris is a city in France.", "The moon is cold.", "France has a capital city."];
        var acks = await EncodeAsync([Text(claim, Role.First), .. evidence.Select(e => Text(e))]);

        var stored = new CombineRequest { Task = TaskType.VerifyClaim };
        stored.Segments.AddRange(acks.Select(a => Id(a.SegmentId)));
        var inline = new CombineRequest { Task = TaskType.VerifyClaim };
        inline.Segments.Add(Inline(claim));
        inline.Segments.AddRange(evidence.Select(Inline));

        var fromStore = await Client.CombineAsync(stored);
        var fromText = await Client.CombineAsync(inline);

        // fp32 states: the joint layers see bit-identical inputs either way.
        Assert.Equal(fromText.SegmentIds, fromStore.SegmentIds);
        Assert.Equal(fromText.ClaimVerification.Verdict, fromStore.ClaimVerification.Verdict);
        Assert.Equal(
            fromText.ClaimVerification.Evidence.Select(e => $"{e.Index} {e.Label} {string.Join(' ', e.Scores.Select(s => s.Probability.ToString("R")))}"),
            fromStore.ClaimVerification.Evidence.Select(e => $"{e.Index} {e.Label} {string.Join(' ', e.Scores.Select(s => s.Probability.ToString("R")))}"));
        Assert.Equal(3, fromStore.ClaimVerification.Evidence.Count);
        Assert.Equal([1, 2, 3], fromStore.ClaimVerification.Evidence.Select(e => e.Rank));
        Assert.All(fromStore.ClaimVerification.Evidence, e => Assert.Equal(1f, e.Scores.Sum(s => s.Probability), 4));
        Assert.True(fromStore.Timings.TotalUs > 0);
    }

    [Fact]
    public async Task Combine_PerEvidenceResultsMatchSeparateClassifyCalls()
    {
        var acks = await EncodeAsync(Text("Ice is cold.", Role.First), Text("Ice is water."), Text("The sun is hot."));
        var verify = new CombineRequest { Task = TaskType.VerifyClaim, Aggregation = Aggregation.Mean };
        verify.Segments.AddRange(acks.Select(a => Id(a.SegmentId)));
        var result = await Client.CombineAsync(verify);

        foreach (var e in result.ClaimVerification.Evidence)
        {
            var single = new CombineRequest { Task = TaskType.Classify };
            single.Segments.Add(Id(acks[0].SegmentId));
            single.Segments.Add(Id(acks[e.Index].SegmentId));
            var c = await Client.CombineAsync(single);
            // Batched with the other evidence or alone, a pair gets the same numbers (ragged batching, no padding).
            Assert.Equal(c.Classification.Scores.Select(s => s.Probability), e.Scores.Select(s => s.Probability), new ToleranceComparer(1e-5f));
        }
        float[] mean = Enumerable.Range(0, 3).Select(l => result.ClaimVerification.Evidence.Average(e => e.Scores[l].Probability)).ToArray();
        Assert.Equal(mean, result.ClaimVerification.VerdictScores.Select(s => s.Probability), new ToleranceComparer(1e-5f));
    }

    [Fact]
    public async Task Combine_MissingIdsAreNotFoundAndListed()
    {
        var acks = await EncodeAsync(Text("Dogs are animals.", Role.First));
        string missing1 = new string('a', 64), missing2 = new string('b', 64);
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.Add(Id(acks[0].SegmentId));
        request.Segments.Add(Id(missing1));
        request.Segments.Add(Id(missing2));

        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains(missing1, ex.Status.Detail);
        Assert.Contains(missing2, ex.Status.Detail);
    }

    [Fact]
    public async Task Combine_RoleMismatchIsInvalidArgument()
    {
        var acks = await EncodeAsync(Text("Birds can fly.", Role.Other), Text("Cats are mammals.", Role.Other));
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.AddRange(acks.Select(a => Id(a.SegmentId)));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("ROLE_FIRST", ex.Status.Detail);
    }

    [Theory]
    [InlineData("not-hex", StatusCode.InvalidArgument)]
    [InlineData("", StatusCode.InvalidArgument)]
    public async Task Combine_MalformedIdIsInvalidArgument(string id, StatusCode expected)
    {
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.Add(Id(id));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(request).ResponseAsync);
        Assert.Equal(expected, ex.StatusCode);
    }

    [Fact]
    public async Task Combine_TooMuchEvidenceIsResourceExhausted()
    {
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.Add(Inline("A claim."));
        for (int i = 0; i < 9; i++) request.Segments.Add(Inline($"Evidence {i}."));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("limit is 8", ex.Status.Detail);
    }

    [Fact]
    public async Task Combine_TooLongInlineTextIsResourceExhaustedUnlessTruncated()
    {
        string longText = string.Join(' ', Enumerable.Repeat("water", 200));
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.Add(Inline(longText));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        request.Truncation = Truncation.Truncate;
        var ok = await Client.CombineAsync(request);
        Assert.True(ok.Truncated);
        Assert.Equal(3, ok.Classification.Scores.Count);
    }

    [Fact]
    public async Task Combine_WithoutTaskOrSegmentsIsInvalidArgument()
    {
        var noTask = new CombineRequest();
        noTask.Segments.Add(Inline("x"));
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(noTask).ResponseAsync)).StatusCode);
        var oneSegment = new CombineRequest { Task = TaskType.VerifyClaim };
        oneSegment.Segments.Add(Inline("x"));
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(oneSegment).ResponseAsync)).StatusCode);
        var qa = new CombineRequest { Task = TaskType.ExtractiveQa };
        qa.Segments.Add(Inline("who?"));
        qa.Segments.Add(Inline("he."));
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(qa).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("question-answering head", ex.Status.Detail);
    }

    [Fact]
    public async Task Combine_ExpiredDeadlineIsDeadlineExceeded()
    {
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.Add(Inline("The sky is blue."));
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            Client.CombineAsync(request, new CallOptions { Deadline = DateTime.UtcNow.AddMilliseconds(-1) }).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
    }

    [Fact]
    public async Task DeleteSegments_RemovesStatesAndCombineThenReportsThem()
    {
        var acks = await EncodeAsync(Text("Rain falls from clouds.", Role.First), Text("Clouds are wet."));
        var delete = new DeleteSegmentsRequest { SegmentIds = { acks[1].SegmentId, new string('c', 64) } };
        var deleted = await Client.DeleteSegmentsAsync(delete);
        Assert.Equal(1, deleted.Deleted);
        Assert.Equal([new string('c', 64)], deleted.NotFoundIds);

        var got = await Client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { acks[0].SegmentId, acks[1].SegmentId }, IncludeTokens = true });
        Assert.Single(got.Found);
        Assert.Equal(acks[0].SegmentId, got.Found[0].SegmentId);
        Assert.Equal(Role.First, got.Found[0].Role);
        Assert.Equal(acks[0].TokenCount, got.Found[0].TokenIds.Count);
        Assert.Equal([acks[1].SegmentId], got.MissingIds);
    }

    [Fact]
    public async Task EncodeDocument_SplitsSentencesNamesThemAndListsThemByNamespace()
    {
        const string doc = "Paris is a city. It is the capital of France! Is the river old?";
        var response = await Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = doc, Namespace = "docs", NamePrefix = "d1" });
        Assert.Equal(3, response.Sentences.Count);
        Assert.All(response.Sentences, s => Assert.Equal(s.Text, doc[s.CharStart..s.CharEnd]));
        Assert.Equal("It is the capital of France!", response.Sentences[1].Text);

        var page1 = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "docs", PageSize = 2 });
        Assert.Equal(["d1/0", "d1/1"], page1.Segments.Select(s => s.Name.Name));
        Assert.NotEmpty(page1.NextPageToken);
        var page2 = await Client.ListSegmentsAsync(new ListSegmentsRequest { Namespace = "docs", PageSize = 2, PageToken = page1.NextPageToken });
        Assert.Equal(["d1/2"], page2.Segments.Select(s => s.Name.Name));
        Assert.Empty(page2.NextPageToken);
        Assert.Equal(response.Sentences[2].SegmentId, page2.Segments[0].SegmentId);

        // A name works wherever an id does.
        var byName = new CombineRequest { Task = TaskType.VerifyClaim };
        byName.Segments.Add(Inline("Paris is in France."));
        byName.Segments.Add(new SegmentRef { Name = new SegmentName { Namespace = "docs", Name = "d1/1" } });
        var verdict = await Client.CombineAsync(byName);
        Assert.Equal(response.Sentences[1].SegmentId, verdict.SegmentIds[1]);
    }

    [Fact]
    public async Task ListAndDescribeModels_ReportTheLaitSplit()
    {
        var models = await Client.ListModelsAsync(new ListModelsRequest());
        var model = Assert.Single(models.Models);
        Assert.Equal("tiny-nli", models.DefaultModel);
        Assert.Equal(2, model.NumLayers);
        Assert.Equal(1, model.TowerLayers);
        Assert.Equal("per_segment", model.PositionMode);
        Assert.Equal(["entailment", "neutral", "contradiction"], model.Labels);
        Assert.Equal("fp32", model.StateCodec);
        Assert.Matches("^[0-9a-f]{64}$", model.Fingerprint);
        Assert.Equal([TaskType.Classify, TaskType.VerifyClaim], model.Tasks); // an NLI head: no yes/no answers

        var yesNo = new CombineRequest { Task = TaskType.YesNo, Model = "tiny-nli" };
        yesNo.Segments.Add(Inline("Is water wet?"));
        yesNo.Segments.Add(Inline("Water is wet."));
        var refused = await Assert.ThrowsAsync<RpcException>(() => Client.CombineAsync(yesNo).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("has no 'yes' label", refused.Status.Detail);

        var described = await Client.DescribeModelAsync(new DescribeModelRequest { Model = "tiny-nli" });
        Assert.Equal(model, described);
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.DescribeModelAsync(new DescribeModelRequest { Model = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>, IEqualityComparer<double>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
