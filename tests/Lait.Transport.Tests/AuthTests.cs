using Grpc.Reflection.V1;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Lait.Transport.Auth;
using Xunit;

namespace Lait.Transport.Tests;

public sealed class AuthTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await TestServer.StartAsync(o => o.Interceptors.Add(new ApiKeyInterceptor(["key-one", "key-two"])));

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static CallOptions WithAuthorization(string value) =>
        new() { Headers = new Metadata().Add("authorization", value) };

    [Fact]
    public async Task MissingKey_IsUnauthenticated()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            _server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "x" }));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task WrongKey_IsUnauthenticated()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            _server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "x" }, WithAuthorization("Bearer key-three")));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task KeyWithoutBearerScheme_IsUnauthenticated()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            _server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "x" }, WithAuthorization("key-one")));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task MissingKey_OnAClientStream_IsUnauthenticatedWhetherWritingOrReading()
    {
        using AsyncClientStreamingCall<EchoRequest, EchoResponse> call = _server.Channel.AsyncClientStreamingCall(TestServer.ClientStream);
        RpcException ex = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await call.RequestStream.WriteAsync(new EchoRequest { Message = "m", Payload = Google.Protobuf.ByteString.CopyFrom(new byte[10_000]) });
            }

            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        RpcException response = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, response.StatusCode);
    }

    [Fact]
    public async Task EitherConfiguredKey_IsAccepted()
    {
        EchoResponse one = await _server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "1" }, WithAuthorization("Bearer key-one"));
        EchoResponse two = await _server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "2" }, WithAuthorization("Bearer key-two"));

        Assert.Equal("1", one.Message);
        Assert.Equal("2", two.Message);
    }

    [Fact]
    public async Task ChannelApiKeyOption_AuthenticatesEveryCall()
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { ApiKey = "key-two" });
        EchoResponse response = await channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "ok" });

        Assert.Equal("ok", response.Message);
    }

    [Fact]
    public async Task Health_IsExemptFromTheKey()
    {
        var health = new HealthClient(_server.Channel);

        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await health.CheckAsync(""));
    }

    [Fact]
    public async Task Reflection_RequiresTheKey()
    {
        Method<ServerReflectionRequest, ServerReflectionResponse> method = ReflectionTests.V1Method;
        using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = _server.Channel.AsyncDuplexStreamingCall(method);
        await call.RequestStream.CompleteAsync();

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }
}
