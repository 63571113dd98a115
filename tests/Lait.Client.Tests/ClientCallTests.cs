using System.Net;
using Google.Protobuf;
using Grpc.Health.V1;
using Lait.Grpc.Wire;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Client.Tests;

/// <summary>Client behaviour against canned HTTP responses (no server).</summary>
public sealed class ClientCallTests
{
    private static (GrpcChannel Channel, FakeHandler Handler) Create(Func<HttpRequestMessage, HttpResponseMessage> respond, Action<GrpcChannelOptions>? configure = null)
    {
        var handler = new FakeHandler(respond);
        var options = new GrpcChannelOptions { HttpHandler = handler };
        configure?.Invoke(options);
        return (GrpcChannel.ForAddress("http://127.0.0.1:1", options), handler);
    }

    private static readonly HealthCheckRequest Request = new() { Service = "svc" };

    [Fact]
    public async Task Unary_ReadsMessageHeadersAndTrailers()
    {
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc(
            FakeHandler.Frame(new HealthCheckResponse { Status = ServingStatus.Serving }),
            headers: [("x-h", "1")], trailers: [("x-t", "2")]));
        using AsyncUnaryCall<HealthCheckResponse> call = channel.AsyncUnaryCall(HealthClient.CheckMethod, Request);

        Assert.Equal(ServingStatus.Serving, (await call).Status);
        Assert.Equal("1", (await call.ResponseHeadersAsync).GetValue("x-h"));
        Assert.Equal("2", call.GetTrailers().GetValue("x-t"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Request_CarriesGrpcHeadersAndAFramedMessage()
    {
        (GrpcChannel channel, FakeHandler handler) = Create(_ => FakeHandler.Grpc(FakeHandler.Frame(new HealthCheckResponse())));
        await channel.UnaryAsync(HealthClient.CheckMethod, Request, new CallOptions { Headers = new Metadata().Add("x-a", "b") });

        HttpRequestMessage sent = handler.LastRequest!;
        Assert.Equal(HttpMethod.Post, sent.Method);
        Assert.Equal("/grpc.health.v1.Health/Check", sent.RequestUri!.AbsolutePath);
        Assert.Equal(HttpVersion.Version20, sent.Version);
        Assert.Equal("trailers", sent.Headers.GetValues("te").Single());
        Assert.Equal("application/grpc", sent.Content!.Headers.ContentType!.MediaType);
        Assert.Equal("b", sent.Headers.GetValues("x-a").Single());
        Assert.Contains("gzip", sent.Headers.GetValues("grpc-accept-encoding").Single());
        Assert.Equal(FakeHandler.Frame(Request), handler.LastRequestBody);
    }

    [Fact]
    public async Task Deadline_IsSentAsGrpcTimeoutNoLongerThanRequested()
    {
        (GrpcChannel channel, FakeHandler handler) = Create(_ => FakeHandler.Grpc(FakeHandler.Frame(new HealthCheckResponse())));
        await channel.UnaryAsync(HealthClient.CheckMethod, Request, CallOptions.WithTimeout(TimeSpan.FromSeconds(5)));

        string header = handler.LastRequest!.Headers.GetValues("grpc-timeout").Single();
        Assert.True(GrpcTimeout.TryParse(header, out TimeSpan timeout));
        Assert.InRange(timeout, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task DeadlineAlreadyPassed_FailsDeadlineExceededWithoutSending()
    {
        (GrpcChannel channel, FakeHandler handler) = Create(_ => FakeHandler.Grpc(FakeHandler.Frame(new HealthCheckResponse())));
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthClient.CheckMethod, Request, new CallOptions { Deadline = DateTime.UtcNow.AddSeconds(-1) }));

        Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        Assert.Null(handler.LastRequest);
    }

    [Fact]
    public async Task TrailersOnly_StatusInHeaders_ThrowsWithDecodedMessage()
    {
        (GrpcChannel channel, _) = Create(_ =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
            response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
            response.Headers.TryAddWithoutValidation("grpc-status", "5");
            response.Headers.TryAddWithoutValidation("grpc-message", GrpcMessageEncoding.Encode("pas trouvé ✓"));
            response.Headers.TryAddWithoutValidation("x-detail", "d");
            return response;
        });
        using AsyncUnaryCall<HealthCheckResponse> call = channel.AsyncUnaryCall(HealthClient.CheckMethod, Request);

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(new Status(StatusCode.NotFound, "pas trouvé ✓"), ex.Status);
        Assert.Equal("d", ex.Trailers.GetValue("x-detail"));
        Assert.Equal(StatusCode.NotFound, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(400, StatusCode.Internal)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(403, StatusCode.PermissionDenied)]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(429, StatusCode.Unavailable)]
    [InlineData(502, StatusCode.Unavailable)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(504, StatusCode.Unavailable)]
    [InlineData(500, StatusCode.Unknown)]
    public async Task HttpErrorWithoutGrpcStatus_MapsPerGrpcHttpMapping(int httpStatus, StatusCode expected)
    {
        (GrpcChannel channel, _) = Create(_ => new HttpResponseMessage((HttpStatusCode)httpStatus) { Content = new StringContent("proxy error") });

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(expected, ex.StatusCode);
    }

    [Fact]
    public async Task NonGrpcContentTypeOn200_IsInternal()
    {
        (GrpcChannel channel, _) = Create(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<html>") });

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task MissingGrpcStatusInTrailers_IsInternal()
    {
        (GrpcChannel channel, _) = Create(_ =>
        {
            HttpResponseMessage response = FakeHandler.Grpc(FakeHandler.Frame(new HealthCheckResponse()));
            response.TrailingHeaders.Clear();
            return response;
        });

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task ErrorStatusAfterMessage_ThrowsTheTrailerStatus()
    {
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc(FakeHandler.Frame(new HealthCheckResponse()), StatusCode.Aborted, "late failure"));

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(new Status(StatusCode.Aborted, "late failure"), ex.Status);
    }

    [Fact]
    public async Task UnaryWithoutResponseMessage_IsInternal()
    {
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc([]));

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task ResponseOverMaxReceiveSize_IsResourceExhausted()
    {
        byte[] body = FakeHandler.Frame(new HealthCheckResponse { Status = ServingStatus.Serving });
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc(body), o => o.MaxReceiveMessageSize = 1);

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public async Task RequestOverMaxSendSize_IsResourceExhaustedWithoutSending()
    {
        (GrpcChannel channel, FakeHandler handler) = Create(_ => FakeHandler.Grpc([]), o => o.MaxSendMessageSize = 2);

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(HealthClient.CheckMethod, new HealthCheckRequest { Service = "longer than two bytes" }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Null(handler.LastRequest);
    }

    [Fact]
    public async Task GzipResponse_IsDecompressedAndGzipRequestIsFlaggedAndCompressed()
    {
        var reply = new HealthCheckResponse { Status = ServingStatus.NotServing };
        byte[] compressedReply = MessageFraming.Frame(GzipCompressionProvider.Instance.Compress(reply.ToByteArray()), compressed: true);
        (GrpcChannel channel, FakeHandler handler) = Create(_ => FakeHandler.Grpc(compressedReply, headers: [("grpc-encoding", "gzip")]));

        HealthCheckResponse response = await channel.UnaryAsync(HealthClient.CheckMethod, Request, new CallOptions { WriteCompression = "gzip" });

        Assert.Equal(ServingStatus.NotServing, response.Status);
        Assert.Equal("gzip", handler.LastRequest!.Headers.GetValues("grpc-encoding").Single());
        byte[] sent = handler.LastRequestBody!;
        (bool compressed, uint length) = MessageFraming.ReadPrefix(sent);
        Assert.True(compressed);
        byte[] plain = GzipCompressionProvider.Instance.Decompress(sent.AsSpan(5, (int)length), 1024);
        Assert.Equal(Request, HealthCheckRequest.Parser.ParseFrom(plain));
    }

    [Fact]
    public async Task CompressedResponseWithoutGrpcEncoding_IsInternal()
    {
        byte[] body = MessageFraming.Frame(GzipCompressionProvider.Instance.Compress(new HealthCheckResponse().ToByteArray()), compressed: true);
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc(body));

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
    }

    [Fact]
    public async Task ConnectionFailure_IsUnavailable()
    {
        (GrpcChannel channel, _) = Create(_ => throw new HttpRequestException("connection refused"));

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(HealthClient.CheckMethod, Request));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task ServerStream_ReadsEveryMessageThenStatus()
    {
        byte[] body = FakeHandler.Frame(new HealthCheckResponse { Status = ServingStatus.Serving })
            .Concat(FakeHandler.Frame(new HealthCheckResponse { Status = ServingStatus.NotServing })).ToArray();
        (GrpcChannel channel, _) = Create(_ => FakeHandler.Grpc(body));
        using AsyncServerStreamingCall<HealthCheckResponse> call = new HealthClient(channel).Watch("svc");

        var statuses = new List<ServingStatus>();
        while (await call.ResponseStream.MoveNext())
        {
            statuses.Add(call.ResponseStream.Current.Status);
        }

        Assert.Equal(new[] { ServingStatus.Serving, ServingStatus.NotServing }, statuses);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public void Method_RejectsMismatchedMessageTypes()
    {
        Google.Protobuf.Reflection.MethodDescriptor check = HealthClient.CheckMethod.Descriptor;

        Assert.Throws<ArgumentException>(() => Method<HealthCheckResponse, HealthCheckRequest>.Create(check));
    }

    [Fact]
    public void LaitClient_MethodsMatchTheProtoCallTypes()
    {
        Assert.Equal(MethodType.DuplexStreaming, LaitClient.EncodeSegmentMethod.Type);
        Assert.Equal(MethodType.Unary, LaitClient.CombineMethod.Type);
        Assert.Equal("/lait.v1.Lait/Combine", LaitClient.CombineMethod.Path);
    }
}
