using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Server.Tests.Service;

/// <summary>A server with small limits and checkpoint durability: every limit answers with a clear status.</summary>
public sealed class SmallLimitsServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string model = TinyModelWriter.Write(_dir.Sub("yesno"), new TinyModelWriter.Options { Labels = ["no", "yes"] });
        Server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", _dir.Sub("store"), "--durability", "checkpoint",
            "--max-segments-per-call", "4", "--max-document-sentences", "2", "--max-concurrent-streams", "1",
            "--max-message-bytes", "4096", "--max-text-chars", "1000");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

public class LimitsTests(SmallLimitsServerFixture fixture) : IClassFixture<SmallLimitsServerFixture>
{
    private LaitClient Client => fixture.Server.Client;

    private static SegmentRef Inline(string text) => new() { Inline = new SegmentInput { Text = text } };

    private async Task<RpcException> FailsWith(StatusCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        Assert.NotEmpty(ex.Status.Detail);
        return ex;
    }

    [Fact]
    public async Task TooManySegmentsInOneCall()
    {
        var request = new CombineRequest { Task = TaskType.Classify };
        for (int i = 0; i < 5; i++) request.Segments.Add(Inline("water"));
        var ex = await FailsWith(StatusCode.ResourceExhausted, () => Client.CombineAsync(request).ResponseAsync);
        Assert.Contains("limit is 4", ex.Status.Detail);
    }

    [Fact]
    public async Task TooManySentencesInOneDocument()
    {
        var ex = await FailsWith(StatusCode.ResourceExhausted,
            () => Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = "One. Two. Three." }).ResponseAsync);
        Assert.Contains("3 sentences", ex.Status.Detail);
    }

    [Fact]
    public async Task TooLongTextIsRefusedBeforeTokenizing()
    {
        var ex = await FailsWith(StatusCode.ResourceExhausted,
            () => Client.EncodeDocumentAsync(new EncodeDocumentRequest { Text = new string('a', 1001) }).ResponseAsync);
        Assert.Contains("1000", ex.Status.Detail);
    }

    [Fact]
    public async Task MessageOverTheSizeLimit()
    {
        var request = new CombineRequest { Task = TaskType.Classify };
        request.Segments.Add(Inline(new string('x', 5000)));
        await FailsWith(StatusCode.ResourceExhausted, () => Client.CombineAsync(request).ResponseAsync);
    }

    [Fact]
    public async Task SecondConcurrentStreamIsRefusedAndTheFirstGoesOn()
    {
        using var first = Client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
        await first.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "The sky is blue." } });
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));

        using var second = Client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
        await second.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "Grass is green." } });
        var ex = await Assert.ThrowsAsync<RpcException>(() => second.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Contains("concurrent EncodeSegment streams", ex.Status.Detail);

        await first.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "Grass is green." } });
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(1UL, first.ResponseStream.Current.Sequence);
        await first.RequestStream.CompleteAsync();
        Assert.False(await first.ResponseStream.MoveNext(CancellationToken.None));
    }

    [Fact]
    public async Task DurableAcknowledgementIsRefusedByACheckpointModeServer()
    {
        using var call = Client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
        await call.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "Ice is cold." }, Durability = Durability.Durable });
        await call.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "Ice is cold." }, Durability = Durability.Checkpoint });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal((int)StatusCode.FailedPrecondition, call.ResponseStream.Current.Error.Code);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Null(call.ResponseStream.Current.Error);
    }

    [Fact]
    public async Task YesNoAnswerFollowsTheYesProbability()
    {
        var request = new CombineRequest { Task = TaskType.YesNo };
        request.Segments.Add(Inline("Is water wet?"));
        request.Segments.Add(Inline("Water is wet."));
        var answer = (await Client.CombineAsync(request)).YesNo;
        Assert.Equal(["no", "yes"], answer.Scores.Select(s => s.Label));
        Assert.Equal(answer.Scores[1].Probability, answer.YesProbability);
        Assert.Equal(answer.YesProbability > 0.5f, answer.Answer);
        Assert.Equal(1f, answer.Scores.Sum(s => s.Probability), 4);
    }
}
