using Google.Protobuf;
using Google.Protobuf.Reflection;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Lait.Transport.Hosting;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Transport.Tests;

/// <summary>The public registration API, interceptors, options and shutdown, on hand-built services.</summary>
public sealed class RegistrationAndInterceptorTests
{
    private static readonly ServiceDescriptor Echo = EchoReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Echo");

    private sealed class RecordingInterceptor(string name, List<string> log) : IServerInterceptor
    {
        public async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next)
        {
            lock (log)
            {
                log.Add($"{name}:before:{context.Method}");
            }

            context.Items[name] = "seen";
            await next(context);
            lock (log)
            {
                log.Add($"{name}:after");
            }
        }
    }

    private sealed class RejectingInterceptor : IServerInterceptor
    {
        public Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next) =>
            context.MethodName == "ClientStream"
                ? throw new RpcException(StatusCode.PermissionDenied, "no client streams here")
                : next(context);
    }

    private static async Task<(GrpcServerHost Host, GrpcChannel Channel)> StartAsync(ServiceDefinition service, Action<GrpcServerOptions>? configure = null)
    {
        GrpcServerHost host = GrpcServerHost.Create(new GrpcEndpointOptions { Port = 0 }, configure);
        host.Registry.Add(service);
        await host.StartAsync();
        return (host, GrpcChannel.ForAddress(host.Address));
    }

    [Fact]
    public async Task Interceptors_RunInOrderAroundTheHandlerAndCanReject()
    {
        var log = new List<string>();
        ServiceDefinition service = ServiceDefinition.CreateBuilder(Echo)
            .AddUnary<EchoRequest, EchoResponse>("Unary", (request, context) =>
            {
                lock (log)
                {
                    log.Add("handler:" + context.Items["outer"]);
                }

                return Task.FromResult(new EchoResponse { Message = request.Message });
            })
            .Build();
        (GrpcServerHost host, GrpcChannel channel) = await StartAsync(service, o =>
        {
            o.Interceptors.Add(new RecordingInterceptor("outer", log));
            o.Interceptors.Add(new RecordingInterceptor("inner", log));
            o.Interceptors.Add(new RejectingInterceptor());
        });
        await using (host)
        using (channel)
        {
            await channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "m" });
            using AsyncClientStreamingCall<EchoRequest, EchoResponse> rejected = channel.AsyncClientStreamingCall(TestServer.ClientStream);
            await rejected.RequestStream.CompleteAsync();
            RpcException ex = await Assert.ThrowsAsync<RpcException>(() => rejected.ResponseAsync);

            Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
            Assert.Equal(
                new[] { "outer:before:/lait.test.v1.Echo/Unary", "inner:before:/lait.test.v1.Echo/Unary", "handler:seen", "inner:after", "outer:after" },
                log.Take(5));
        }
    }

    [Fact]
    public async Task MethodsWithoutHandlers_AreUnimplementedWithTheConfiguredMessage()
    {
        ServiceDefinition service = ServiceDefinition.CreateBuilder(Echo).WithUnimplementedMessage("not implemented yet").Build();
        (GrpcServerHost host, GrpcChannel channel) = await StartAsync(service);
        await using (host)
        using (channel)
        {
            RpcException ex = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new EchoRequest()));

            Assert.Equal(new Status(StatusCode.Unimplemented, "not implemented yet"), ex.Status);
        }
    }

    [Fact]
    public void Builder_RejectsWrongNameCallTypeAndMessageTypes()
    {
        ServiceDefinition.Builder builder = ServiceDefinition.CreateBuilder(Echo);

        Assert.Throws<ArgumentException>(() => builder.AddUnary<EchoRequest, EchoResponse>("NoSuchMethod", (r, c) => Task.FromResult(new EchoResponse())));
        Assert.Throws<ArgumentException>(() => builder.AddUnary<EchoRequest, EchoResponse>("Bidi", (r, c) => Task.FromResult(new EchoResponse())));
        Assert.Throws<ArgumentException>(() => builder.AddUnary<StatsRequest, EchoResponse>("Unary", (r, c) => Task.FromResult(new EchoResponse())));
    }

    [Fact]
    public void Registry_RejectsTheSameServiceTwice()
    {
        var registry = new GrpcServiceRegistry();
        registry.Add(ServiceDefinition.CreateBuilder(Echo).Build());

        Assert.Throws<InvalidOperationException>(() => registry.Add(ServiceDefinition.CreateBuilder(Echo).Build()));
    }

    [Fact]
    public async Task ExplicitResponseHeaders_AreSentBeforeTheFirstMessageAndStatusGoesToTrailers()
    {
        var release = new TaskCompletionSource();
        ServiceDefinition service = ServiceDefinition.CreateBuilder(Echo)
            .AddServerStreaming<EchoRequest, EchoResponse>("ServerStream", async (request, responses, context) =>
            {
                context.ResponseHeaders.Add("x-early", "yes");
                await context.WriteResponseHeadersAsync();
                await release.Task.WaitAsync(context.CancellationToken);
                throw new RpcException(StatusCode.DataLoss, "after headers");
            })
            .Build();
        (GrpcServerHost host, GrpcChannel channel) = await StartAsync(service);
        await using (host)
        using (channel)
        {
            using AsyncServerStreamingCall<EchoResponse> call = channel.AsyncServerStreamingCall(TestServer.ServerStream, new EchoRequest());
            Metadata headers = await call.ResponseHeadersAsync.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("yes", headers.GetValue("x-early"));

            release.SetResult();
            RpcException ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
            Assert.Equal(new Status(StatusCode.DataLoss, "after headers"), ex.Status);
        }
    }

    [Fact]
    public async Task ConfiguredLimitsAndResponseCompression_Apply()
    {
        ServiceDefinition service = ServiceDefinition.CreateBuilder(Echo)
            .AddUnary<EchoRequest, EchoResponse>("Unary", (request, _) =>
                Task.FromResult(new EchoResponse { Payload = ByteString.CopyFrom(new byte[request.ResponsePayloadSize]) }))
            .Build();
        (GrpcServerHost host, GrpcChannel channel) = await StartAsync(service, o =>
        {
            o.MaxReceiveMessageSize = 1000;
            o.MaxSendMessageSize = 2000;
            o.ResponseCompression = "gzip";
        });
        await using (host)
        using (channel)
        {
            var big = new EchoRequest { Payload = ByteString.CopyFrom(new byte[1000]) };
            Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, big))).StatusCode);
            Assert.Equal(StatusCode.ResourceExhausted,
                (await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(TestServer.Unary, new EchoRequest { ResponsePayloadSize = 2000 }))).StatusCode);

            using HttpClient raw = new(new SocketsHttpHandler()) { BaseAddress = host.Address };
            RawResult result = await RawCalls.SendAsync(raw, TestServer.Unary.Path, RawCalls.Frame(new EchoRequest { ResponsePayloadSize = 1500 }),
                headers: new Dictionary<string, string> { ["grpc-accept-encoding"] = "gzip" });
            Assert.Equal(StatusCode.OK, result.Status?.StatusCode);
            Assert.True(MessageFraming.ReadPrefix(result.Body).Compressed);
        }
    }

    [Fact]
    public async Task Shutdown_EndsHealthWatchWithNotServingThenUnavailable()
    {
        GrpcServerHost host = GrpcServerHost.Create(new GrpcEndpointOptions { Port = 0 });
        host.Health.SetStatus("", ServingStatus.Serving);
        await host.StartAsync();
        using GrpcChannel channel = GrpcChannel.ForAddress(host.Address);
        using AsyncServerStreamingCall<global::Grpc.Health.V1.HealthCheckResponse> watch = new HealthClient(channel).Watch("");
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);

        Task stopping = host.StopAsync();
        Assert.True(await watch.ResponseStream.MoveNext());
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
        await stopping;
        await host.DisposeAsync();
    }
}
