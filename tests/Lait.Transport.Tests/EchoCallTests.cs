using Google.Protobuf;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Xunit;

namespace Lait.Transport.Tests;

/// <summary>The four call types, metadata, errors, deadlines, cancellation, compression and limits through the C# client.</summary>
public sealed class EchoCallTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private GrpcChannel Channel => _server.Channel;

    [Fact]
    public async Task Unary_EchoesMessageAndPayload()
    {
        EchoResponse response = await Channel.UnaryAsync(TestServer.Unary,
            new EchoRequest { Message = "hello", Payload = ByteString.CopyFrom(1, 2, 3) });

        Assert.Equal("hello", response.Message);
        Assert.Equal(new byte[] { 1, 2, 3 }, response.Payload.ToByteArray());
    }

    [Fact]
    public async Task ServerStream_SendsRepeatResponsesInOrderThenOk()
    {
        using AsyncServerStreamingCall<EchoResponse> call = Channel.AsyncServerStreamingCall(TestServer.ServerStream,
            new EchoRequest { Message = "s", Repeat = 5 });
        var indexes = new List<int>();
        await foreach (EchoResponse response in call.ResponseStream.ReadAllAsync())
        {
            indexes.Add(response.Index);
        }

        Assert.Equal(new[] { 0, 1, 2, 3, 4 }, indexes);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task ClientStream_CountsAndJoinsMessages()
    {
        using AsyncClientStreamingCall<EchoRequest, EchoResponse> call = Channel.AsyncClientStreamingCall(TestServer.ClientStream);
        foreach (string m in new[] { "a", "b", "c" })
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = m });
        }

        await call.RequestStream.CompleteAsync();
        EchoResponse response = await call;

        Assert.Equal(3, response.Count);
        Assert.Equal("a,b,c", response.Message);
    }

    [Fact]
    public async Task Bidi_RepliesToEachRequestBeforeTheNextIsSent()
    {
        using AsyncDuplexStreamingCall<EchoRequest, EchoResponse> call = Channel.AsyncDuplexStreamingCall(TestServer.Bidi);
        for (int i = 0; i < 4; i++)
        {
            await call.RequestStream.WriteAsync(new EchoRequest { Message = $"m{i}" });
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal(i, call.ResponseStream.Current.Index);
            Assert.Equal($"m{i}", call.ResponseStream.Current.Message);
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Metadata_RoundTripsAsciiAndBinaryHeadersAndEchoHeadersAndTrailers()
    {
        var headers = new Metadata()
            .Add("x-plain", "value 1")
            .Add("x-data-bin", new byte[] { 0, 255, 7 })
            .Add("x-echo-color", "blue");
        using AsyncUnaryCall<EchoResponse> call = Channel.AsyncUnaryCall(TestServer.Unary, new EchoRequest { Message = "m" },
            new CallOptions { Headers = headers });
        EchoResponse response = await call;
        Metadata responseHeaders = await call.ResponseHeadersAsync;

        Assert.Equal("value 1", response.Metadata["x-plain"]);
        Assert.Equal(new byte[] { 0, 255, 7 }, Convert.FromBase64String(response.Metadata["x-data-bin"]));
        Assert.Equal("blue", responseHeaders.GetValue("x-echo-color"));
        Assert.Equal("blue", call.GetTrailers().GetValue("x-echo-color-trailer"));
    }

    [Fact]
    public async Task ErrorStatus_NonAsciiMessageArrivesIntact()
    {
        const string message = "échec: 数据 ✓ 100% \"quoted\"\nnext line";
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new EchoRequest { FailCode = (int)StatusCode.FailedPrecondition, FailMessage = message }));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal(message, ex.Status.Detail);
    }

    [Fact]
    public async Task ServerStream_FailAfter_DeliversMessagesThenTheStatusInTrailers()
    {
        using AsyncServerStreamingCall<EchoResponse> call = Channel.AsyncServerStreamingCall(TestServer.ServerStream,
            new EchoRequest { Repeat = 5, FailCode = (int)StatusCode.Aborted, FailMessage = "stop", FailAfter = 2 });
        int received = 0;
        RpcException ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                received++;
            }
        });

        Assert.Equal(2, received);
        Assert.Equal(StatusCode.Aborted, ex.StatusCode);
        Assert.Equal("stop", ex.Status.Detail);
    }

    [Fact]
    public async Task HandlerException_ReturnsInternalWithoutLeakingDetailsAndLogsThem()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new EchoRequest { ThrowException = true }));

        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.DoesNotContain("secret", ex.Status.Detail);
        Assert.Contains(_server.Logs.Lines, line => line.Contains("secret.key"));
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task TrailersOnly_ErrorBeforeAnyMessage_PutsStatusInHeadersWithEmptyBody()
    {
        using HttpClient raw = _server.CreateRawClient();
        RawResult result = await RawCalls.SendAsync(raw, TestServer.Unary.Path,
            RawCalls.Frame(new EchoRequest { FailCode = (int)StatusCode.NotFound, FailMessage = "gone" }));

        Assert.True(result.TrailersOnly);
        Assert.Empty(result.Body);
        Assert.Equal(new Status(StatusCode.NotFound, "gone"), result.Status);
        Assert.Equal("application/grpc", result.Response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(result.Response.TrailingHeaders);
    }

    [Fact]
    public async Task SuccessfulCall_SendsStatusInTrailersAfterTheMessage()
    {
        using HttpClient raw = _server.CreateRawClient();
        RawResult result = await RawCalls.SendAsync(raw, TestServer.Unary.Path, RawCalls.Frame(new EchoRequest { Message = "x" }));

        Assert.False(result.TrailersOnly);
        Assert.Equal(StatusCode.OK, result.Status?.StatusCode);
        (bool compressed, uint length) = MessageFraming.ReadPrefix(result.Body);
        Assert.False(compressed);
        Assert.Equal("x", EchoResponse.Parser.ParseFrom(result.Body.AsSpan(5, (int)length).ToArray()).Message);
    }

    [Fact]
    public async Task Deadline_PassingDuringHandler_ReturnsDeadlineExceededAndFiresHandlerToken()
    {
        long before = _server.Echo.CancelledCalls;
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new EchoRequest { DelayMs = 30_000 }, CallOptions.WithTimeout(TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.True(await _server.WaitForAsync(e => e.CancelledCalls > before, TimeSpan.FromSeconds(10)));
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task Deadline_ServerSideTimerEndsCallEvenWhenClientDoesNotEnforceIt()
    {
        // A raw call carries grpc-timeout but never cancels: the status must come from the server.
        using HttpClient raw = _server.CreateRawClient();
        RawResult result = await RawCalls.SendAsync(raw, TestServer.Unary.Path, RawCalls.Frame(new EchoRequest { DelayMs = 30_000 }),
            headers: new Dictionary<string, string> { ["grpc-timeout"] = "200m" });

        Assert.Equal(StatusCode.DeadlineExceeded, result.Status?.StatusCode);
    }

    [Fact]
    public async Task Cancellation_MidStream_ReachesHandlerToken()
    {
        long before = _server.Echo.CancelledCalls;
        using var cts = new CancellationTokenSource();
        using AsyncServerStreamingCall<EchoResponse> call = Channel.AsyncServerStreamingCall(TestServer.ServerStream,
            new EchoRequest { Repeat = 1000, DelayMs = 50 }, new CallOptions { CancellationToken = cts.Token });
        Assert.True(await call.ResponseStream.MoveNext());
        cts.Cancel();

        RpcException ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
            }
        });
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await _server.WaitForAsync(e => e.CancelledCalls > before, TimeSpan.FromSeconds(10)),
            "the handler's token never fired; server log:\n" + string.Join("\n", _server.Logs.Lines));
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task Compression_GzipRequest_GetsGzipResponseAndRoundTrips()
    {
        byte[] payload = new byte[200_000];
        new Random(1).NextBytes(payload.AsSpan(0, 1000));
        using AsyncUnaryCall<EchoResponse> call = Channel.AsyncUnaryCall(TestServer.Unary,
            new EchoRequest { Message = "zip", Payload = ByteString.CopyFrom(payload) }, new CallOptions { WriteCompression = "gzip" });
        EchoResponse response = await call;

        Assert.Equal(payload, response.Payload.ToByteArray());
        Assert.True(Enumerable.SequenceEqual(payload, response.Payload.ToByteArray()));
    }

    [Fact]
    public async Task Compression_RawGzipMessage_IsDecodedAndReplyIsCompressed()
    {
        var request = new EchoRequest { Message = "raw-gzip", Payload = ByteString.CopyFrom(new byte[5000]) };
        byte[] body = MessageFraming.Frame(GzipCompressionProvider.Instance.Compress(request.ToByteArray()), compressed: true);
        using HttpClient raw = _server.CreateRawClient();
        RawResult result = await RawCalls.SendAsync(raw, TestServer.Unary.Path, body, headers: new Dictionary<string, string>
        {
            ["grpc-encoding"] = "gzip",
            ["grpc-accept-encoding"] = "identity,gzip",
        });

        Assert.Equal(StatusCode.OK, result.Status?.StatusCode);
        Assert.Equal("gzip", result.Response.Headers.GetValues("grpc-encoding").Single());
        (bool compressed, uint length) = MessageFraming.ReadPrefix(result.Body);
        Assert.True(compressed);
        Assert.True(length < 5000);
        byte[] plain = GzipCompressionProvider.Instance.Decompress(result.Body.AsSpan(5, (int)length), 1 << 20);
        Assert.Equal("raw-gzip", EchoResponse.Parser.ParseFrom(plain).Message);
    }

    [Fact]
    public async Task SizeLimit_RequestJustUnderMaxSucceedsAndJustOverIsResourceExhausted()
    {
        const int max = GrpcProtocol.DefaultMaxReceiveMessageSize;
        // field 2 (payload) costs 1 tag byte + 4 length bytes for sizes this large.
        var fits = new EchoRequest { Payload = ByteString.CopyFrom(new byte[max - 5]) };
        Assert.Equal(max, fits.CalculateSize());
        EchoResponse ok = await Channel.UnaryAsync(TestServer.Unary, fits);
        Assert.Equal(max - 5, ok.Payload.Length);

        var over = new EchoRequest { Payload = ByteString.CopyFrom(new byte[max - 4]) };
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => Channel.UnaryAsync(TestServer.Unary, over));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task SizeLimit_ResponseOverSendMaxIsResourceExhausted()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            Channel.UnaryAsync(TestServer.Unary, new EchoRequest { ResponsePayloadSize = GrpcProtocol.DefaultMaxSendMessageSize }));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task UnknownMethodAndService_AreUnimplemented()
    {
        using HttpClient raw = _server.CreateRawClient();
        RawResult method = await RawCalls.SendAsync(raw, "/lait.test.v1.Echo/Nope", RawCalls.Frame(new EchoRequest()));
        RawResult service = await RawCalls.SendAsync(raw, "/no.such.Service/Call", RawCalls.Frame(new EchoRequest()));

        Assert.Equal(StatusCode.Unimplemented, method.Status?.StatusCode);
        Assert.Contains("Nope", method.Status?.Detail);
        Assert.Equal(StatusCode.Unimplemented, service.Status?.StatusCode);
        Assert.Contains("no.such.Service", service.Status?.Detail);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task ManyConcurrentCalls_AllSucceedOnOneChannel()
    {
        Task<EchoResponse>[] calls = Enumerable.Range(0, 50)
            .Select(i => Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = $"c{i}" }))
            .ToArray();
        EchoResponse[] responses = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"c{i}"), responses.Select(r => r.Message));
    }
}
