using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Testing;
using RedisFactAttribute = Lait.Store.Tests.Support.RedisFactAttribute;
using RedisServer = Lait.Store.Tests.Support.RedisServer;

namespace Lait.Server.Tests.Service;

/// <summary>Several server replicas sharing one real redis-server as their segment store.</summary>
public class RedisStoreServiceTests
{
    [RedisFact]
    public async Task ReplicasShareSegmentsThroughRedis()
    {
        using var redis = new RedisServer();
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        string[] args = ["--model-dir", model, "--store", "redis", "--redis", redis.Configuration];
        await using var a = await ServerProcess.StartAsync(args);
        await using var b = await ServerProcess.StartAsync(args);

        var acks = await EncodeStream.EncodeAllAsync(a.Client, ("The sky is blue.", Role.First), ("Water is wet.", Role.Other));
        Assert.All(acks, ack => Assert.Null(ack.Error));

        // Replica B never saw these segments, yet finds them by id and answers.
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.AddRange(acks.Select(ack => new SegmentRef { SegmentId = ack.SegmentId }));
        var fromB = await b.Client.CombineAsync(request);
        var fromA = await a.Client.CombineAsync(request);
        Assert.Equal(fromA.ClaimVerification.Verdict, fromB.ClaimVerification.Verdict);
        Assert.Equal(fromA.ClaimVerification.Evidence[0].Scores.Select(s => s.Probability), fromB.ClaimVerification.Evidence[0].Scores.Select(s => s.Probability));
        // Same text, same id, on every replica: B finds it already stored.
        var again = await EncodeStream.EncodeAllAsync(b.Client, ("Water is wet.", Role.Other));
        Assert.Equal(acks[1].SegmentId, again[0].SegmentId);
        Assert.True(again[0].AlreadyStored);
    }

    [RedisFact]
    public async Task RedisDownIsUnavailableAndTheServiceRecoversWhenItIsBack()
    {
        using var redis = new RedisServer();
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store", "redis", "--redis", redis.Configuration);
        var request = new GetSegmentsRequest { SegmentIds = { new string('a', 64) } };
        Assert.Single((await server.Client.GetSegmentsAsync(request)).MissingIds);

        redis.Kill();
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Client.GetSegmentsAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        var acks = await EncodeStream.EncodeAllAsync(server.Client, ("Ice is cold.", Role.Other));
        Assert.Equal((int)StatusCode.Unavailable, acks[0].Error.Code);

        redis.Start();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                Assert.Single((await server.Client.GetSegmentsAsync(request)).MissingIds);
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        var after = await EncodeStream.EncodeAllAsync(server.Client, ("Ice is cold.", Role.Other));
        Assert.Null(after[0].Error);
    }

    [RedisFact]
    public async Task DurableAcknowledgementIsRefusedOnRedis()
    {
        using var redis = new RedisServer();
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store", "redis", "--redis", redis.Configuration);
        using var call = server.Client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
        await call.RequestStream.WriteAsync(new EncodeSegmentRequest { Segment = new SegmentInput { Text = "Fire is hot." }, Durability = Durability.Durable });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal((int)StatusCode.FailedPrecondition, call.ResponseStream.Current.Error.Code);
    }
}
