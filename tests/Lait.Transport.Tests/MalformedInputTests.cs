using System.Net;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Xunit;

namespace Lait.Transport.Tests;

/// <summary>Malformed requests get the right status, and the server keeps serving afterwards.</summary>
public sealed class MalformedInputTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private HttpClient _raw = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _raw = _server.CreateRawClient();
    }

    public async Task DisposeAsync()
    {
        _raw.Dispose();
        await _server.DisposeAsync();
    }

    private Task<RawResult> SendAsync(string path, byte[] body, IDictionary<string, string>? headers = null, string contentType = GrpcProtocol.ContentType) =>
        RawCalls.SendAsync(_raw, path, body, contentType, headers);

    [Fact]
    public async Task TruncatedLengthPrefix_ReturnsInternalAndServerKeepsServing()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, new byte[] { 0, 0, 0 });

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task TruncatedMessageBody_ReturnsInternalAndServerKeepsServing()
    {
        byte[] full = RawCalls.Frame(new EchoRequest { Message = "truncate me" });
        RawResult result = await SendAsync(TestServer.Unary.Path, full[..^3]);

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        Assert.Contains("incomplete", result.Status?.Detail);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task DeclaredLengthBeyondLimit_ReturnsResourceExhaustedWithoutReadingTheBody()
    {
        byte[] body = new byte[5 + 10];
        MessageFraming.WritePrefix(body, compressed: false, 100 * 1024 * 1024);
        RawResult result = await SendAsync(TestServer.Unary.Path, body);

        Assert.Equal(StatusCode.ResourceExhausted, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task CompressedFlagWithoutGrpcEncoding_ReturnsInternal()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, RawCalls.Frame(new EchoRequest { Message = "x" }, compressed: true));

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        Assert.Contains("grpc-encoding", result.Status?.Detail);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task UnsupportedEncoding_ReturnsUnimplementedListingSupportedEncodings()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, RawCalls.Frame(new EchoRequest { Message = "x" }, compressed: true),
            new Dictionary<string, string> { ["grpc-encoding"] = "snappy" });

        Assert.Equal(StatusCode.Unimplemented, result.Status?.StatusCode);
        string accepted = result.Response.Headers.GetValues("grpc-accept-encoding").Single();
        Assert.Contains("gzip", accepted);
        Assert.DoesNotContain("snappy", accepted);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task BytesThatAreNotProtobuf_ReturnInternalFailedToDeserialize()
    {
        // 0xFF... is an invalid tag/varint sequence.
        byte[] garbage = MessageFraming.Frame(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, compressed: false);
        RawResult result = await SendAsync(TestServer.Unary.Path, garbage);

        Assert.Equal(new Status(StatusCode.Internal, "failed to deserialize request"), result.Status);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task CorruptGzipData_ReturnsInternal()
    {
        byte[] notGzip = MessageFraming.Frame(new byte[] { 1, 2, 3, 4, 5, 6 }, compressed: true);
        RawResult result = await SendAsync(TestServer.Unary.Path, notGzip, new Dictionary<string, string> { ["grpc-encoding"] = "gzip" });

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task RequestStreamClosedBeforeAnyMessage_UnaryReturnsInternal()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, Array.Empty<byte>());

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        Assert.Contains("missing", result.Status?.Detail);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task ClientStreamClosedInsideAMessage_ReturnsInternal()
    {
        byte[] first = RawCalls.Frame(new EchoRequest { Message = "one" });
        byte[] second = RawCalls.Frame(new EchoRequest { Message = "two" });
        byte[] body = first.Concat(second[..4]).ToArray();
        RawResult result = await SendAsync(TestServer.ClientStream.Path, body);

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task TwoMessagesForAUnaryMethod_ReturnInternal()
    {
        byte[] one = RawCalls.Frame(new EchoRequest { Message = "one" });
        RawResult result = await SendAsync(TestServer.Unary.Path, one.Concat(one).ToArray());

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task NonGrpcContentType_Returns415()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, RawCalls.Frame(new EchoRequest()), contentType: "application/json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, result.HttpStatus);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task MalformedGrpcTimeout_ReturnsInternal()
    {
        RawResult result = await SendAsync(TestServer.Unary.Path, RawCalls.Frame(new EchoRequest()),
            new Dictionary<string, string> { ["grpc-timeout"] = "12x" });

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task InvalidCompressedFlagValue_ReturnsInternal()
    {
        byte[] body = RawCalls.Frame(new EchoRequest { Message = "x" });
        body[0] = 7;
        RawResult result = await SendAsync(TestServer.Unary.Path, body);

        Assert.Equal(StatusCode.Internal, result.Status?.StatusCode);
        await _server.AssertServesNormalCallAsync();
    }

    [Fact]
    public async Task ClientResetMidStream_EndsHandlerAndServerKeepsServing()
    {
        long before = _server.Echo.CancelledCalls;
        using var cts = new CancellationTokenSource();
        using var call = _server.Channel.AsyncClientStreamingCall(TestServer.ClientStream, new Lait.Client.CallOptions { CancellationToken = cts.Token });
        await call.RequestStream.WriteAsync(new EchoRequest { Message = "a" });
        await call.RequestStream.WriteAsync(new EchoRequest { Message = "b" });
        cts.Cancel();

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.True(await _server.WaitForAsync(e => e.CancelledCalls > before, TimeSpan.FromSeconds(10)));
        await _server.AssertServesNormalCallAsync();
    }
}
