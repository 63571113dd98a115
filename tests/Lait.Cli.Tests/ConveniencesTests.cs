using Lait.Client;
using Lait.Client.Conveniences;
using Lait.Grpc.Wire;
using Lait.Protos.V1;

namespace Lait.Cli.Tests;

[Collection(ServerCollection.Name)]
public class ConveniencesTests(TwoModelServerFixture fixture)
{
    private static readonly string[] NliLabels = ["entailment", "neutral", "contradiction"];

    private LaitClient Client => fixture.Server.Client;

    private static CallOptions Timeout => CallOptions.WithTimeout(TimeSpan.FromSeconds(60));

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source) list.Add(item);
        return list;
    }

    /// <summary>A source that records how far ahead of the acknowledgements it has been read.</summary>
    private sealed class CountingSource(int count)
    {
        public int Produced;

        public async IAsyncEnumerable<string> ReadAsync()
        {
            for (int i = 0; i < count; i++)
            {
                Interlocked.Increment(ref Produced);
                yield return $"The cat {i} is big .";
                await Task.Yield();
            }
        }
    }

    [Fact]
    public async Task Ingest_ManyTextsWithSmallWindow_AcksInOrderAndSourceNeverFarAhead()
    {
        var source = new CountingSource(200);
        var acks = new List<EncodeSegmentResponse>();
        int maxAhead = 0;
        await foreach (var ack in Client.IngestAsync(source.ReadAsync(), new IngestOptions { MaxInFlight = 4, CallOptions = Timeout }))
        {
            maxAhead = Math.Max(maxAhead, Volatile.Read(ref source.Produced) - acks.Count);
            acks.Add(ack);
        }

        Assert.Equal(200, acks.Count);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (ulong)i), acks.Select(a => a.Sequence));
        Assert.All(acks, a => Assert.Null(a.Error));
        Assert.All(acks, a => Assert.Matches("^[0-9a-f]{64}$", a.SegmentId));
        // When the consumer sees ack k, k+1 acks have freed their permits: up to k+1+4 texts written,
        // plus one more taken from the source while the writer waits for a permit, so at most 4 + 2 ahead.
        Assert.InRange(maxAhead, 1, 4 + 2);
    }

    [Fact]
    public async Task Ingest_SameTextsTwice_SameIdsAndAlreadyStored_NamesAttached()
    {
        string[] texts = ["Water is wet.", "Ice is cold.", "   ", "The moon is a star."];
        var options = new IngestOptions { CallOptions = Timeout, NameSelector = (i, _) => new SegmentName { Namespace = "conv", Name = $"s{i}" } };
        var first = await ToListAsync(Client.IngestAsync(texts, options));
        var second = await ToListAsync(Client.IngestAsync(texts, new IngestOptions { CallOptions = Timeout }));

        Assert.Equal(4, first.Count);
        // The blank text gets its own error and the stream goes on.
        Assert.Equal((int)StatusCode.InvalidArgument, first[2].Error.Code);
        Assert.Equal(first.Select(a => a.SegmentId), second.Select(a => a.SegmentId));
        Assert.True(second[0].AlreadyStored && second[1].AlreadyStored && second[3].AlreadyStored);

        var byName = await Client.GetSegmentsAsync(new GetSegmentsRequest { Names = { new SegmentName { Namespace = "conv", Name = "s3" } } }, Timeout);
        Assert.Equal(first[3].SegmentId, Assert.Single(byName.Found).SegmentId);
    }

    [Fact]
    public async Task Ingest_FailingSource_ThrowsTheSourceError()
    {
        static async IAsyncEnumerable<string> Failing()
        {
            yield return "The sky is blue.";
            await Task.Yield();
            throw new InvalidDataException("source broke");
        }

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => ToListAsync(Client.IngestAsync(Failing(), new IngestOptions { CallOptions = Timeout })));
        Assert.Equal("source broke", ex.Message);
    }

    [Fact]
    public async Task Ingest_UnknownModel_ThrowsNotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() =>
            ToListAsync(Client.IngestAsync(["The sky is blue."], new IngestOptions { Model = "no-such-model", CallOptions = Timeout })));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Ingest_ConsumerStopsEarly_DoesNotHang()
    {
        var source = new CountingSource(10_000);
        int seen = 0;
        await foreach (var _ in Client.IngestAsync(source.ReadAsync(), new IngestOptions { MaxInFlight = 8, CallOptions = Timeout }))
        {
            if (++seen == 3) break;
        }
        Assert.Equal(3, seen);
        Assert.True(source.Produced < 100, $"source read {source.Produced} texts after the consumer stopped");
    }

    [Fact]
    public async Task VerifyClaim_AgainstStoredIds_VerdictAndEvidenceAreConsistent()
    {
        var acks = await ToListAsync(Client.IngestAsync(["Rain falls from clouds.", "Fire is hot.", "The sky is blue."], new IngestOptions { CallOptions = Timeout }));
        var ids = acks.Select(a => a.SegmentId).ToList();

        var result = await Client.VerifyClaimAsync("Rain falls from the sky.", ids, new CombineOptions { Aggregation = Aggregation.Mean, CallOptions = Timeout });

        Assert.Contains(result.Verdict, NliLabels);
        Assert.Equal(Aggregation.Mean, result.Aggregation);
        Assert.Equal(3, result.Evidence.Count);
        Assert.Equal(ids.Order(), result.Evidence.Select(e => e.SegmentId).Order());
        Assert.Equal([1, 2, 3], result.Evidence.Select(e => e.Rank));
        // Mean aggregation: the verdict scores are the average of the evidence scores.
        for (int label = 0; label < 3; label++)
        {
            float mean = result.Evidence.Average(e => e.Scores[label].Probability);
            Assert.Equal(mean, result.VerdictScores[label].Probability, 4);
        }
        Assert.Equal(result.VerdictScores.MaxBy(s => s.Probability)!.Label, result.Verdict);
    }

    [Fact]
    public async Task VerifyClaim_MissingId_ThrowsNotFoundListingIt()
    {
        string missing = new('b', 64);
        var ex = await Assert.ThrowsAsync<RpcException>(() => Client.VerifyClaimAsync("The sky is blue.", [missing], new CombineOptions { CallOptions = Timeout }));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Contains(missing, ex.Status.Detail);
    }

    [Fact]
    public async Task AnswerYesNo_AnswerFollowsYesProbability()
    {
        var answer = await Client.AnswerYesNoAsync("Is the sky blue?", "The sky is blue.", new CombineOptions { Model = "yesno", CallOptions = Timeout });
        Assert.InRange(answer.YesProbability, 0f, 1f);
        Assert.Equal(answer.YesProbability >= 0.5f, answer.Answer);
        Assert.Equal(["no", "yes"], answer.Scores.Select(s => s.Label));
    }

    [Fact]
    public async Task Classify_InlineEqualsStoredIds()
    {
        var inline = await Client.ClassifyAsync(["The cat is an animal.", "The cat is a mammal."], new CombineOptions { CallOptions = Timeout });
        Assert.Contains(inline.Label, NliLabels);
        Assert.Equal(3, inline.Scores.Count);
        Assert.Equal(1f, inline.Scores.Sum(s => s.Probability), 4);

        // The same texts stored first (with the roles Combine gives inline segments) classify the same; stored
        // states go through the store's codec (fp16 by default) and inline ones do not, hence 2 decimals.
        var hypothesis = await ToListAsync(Client.IngestAsync(["The cat is an animal."], new IngestOptions { Role = Role.First, CallOptions = Timeout }));
        var premise = await ToListAsync(Client.IngestAsync(["The cat is a mammal."], new IngestOptions { Role = Role.Other, CallOptions = Timeout }));
        var stored = await Client.ClassifyAsync(
            [new SegmentRef { SegmentId = hypothesis[0].SegmentId }, new SegmentRef { SegmentId = premise[0].SegmentId }], new CombineOptions { CallOptions = Timeout });
        Assert.Equal(inline.Label, stored.Label);
        for (int i = 0; i < 3; i++) Assert.Equal(inline.Scores[i].Probability, stored.Scores[i].Probability, 2);
    }
}
