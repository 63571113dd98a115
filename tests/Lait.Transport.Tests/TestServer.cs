using System.Net;
using Google.Protobuf;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Lait.Transport.EchoServer;
using Lait.Transport.Hosting;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Transport.Tests;

/// <summary>The echo service (plus health and reflection) on a real Kestrel port, with a client channel.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private static readonly Google.Protobuf.Reflection.ServiceDescriptor EchoDescriptor =
        EchoReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("Echo");

    public static readonly Method<EchoRequest, EchoResponse> Unary = Method<EchoRequest, EchoResponse>.Create(EchoDescriptor, "Unary");
    public static readonly Method<EchoRequest, EchoResponse> ServerStream = Method<EchoRequest, EchoResponse>.Create(EchoDescriptor, "ServerStream");
    public static readonly Method<EchoRequest, EchoResponse> ClientStream = Method<EchoRequest, EchoResponse>.Create(EchoDescriptor, "ClientStream");
    public static readonly Method<EchoRequest, EchoResponse> Bidi = Method<EchoRequest, EchoResponse>.Create(EchoDescriptor, "Bidi");
    public static readonly Method<StatsRequest, StatsResponse> GetStats = Method<StatsRequest, StatsResponse>.Create(EchoDescriptor, "GetStats");
    public static readonly Method<SetServingRequest, StatsResponse> SetServing = Method<SetServingRequest, StatsResponse>.Create(EchoDescriptor, "SetServing");

    private TestServer(GrpcServerHost host, EchoService echo, GrpcChannel channel, CapturingLoggerProvider logs)
    {
        Host = host;
        Echo = echo;
        Channel = channel;
        Logs = logs;
    }

    public GrpcServerHost Host { get; }

    public EchoService Echo { get; }

    public GrpcChannel Channel { get; }

    public CapturingLoggerProvider Logs { get; }

    public Uri Address => Host.Address;

    public static async Task<TestServer> StartAsync(
        Action<GrpcServerOptions>? configure = null,
        GrpcEndpointOptions? endpoint = null,
        GrpcChannelOptions? channelOptions = null)
    {
        endpoint ??= new GrpcEndpointOptions();
        endpoint.Port = 0;
        var logs = new CapturingLoggerProvider();
        GrpcServerHost host = GrpcServerHost.Create(endpoint, configure, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
        });
        var echo = new EchoService(host.Health);
        host.Registry.Add(echo.CreateDefinition());
        host.Health.SetStatus("", ServingStatus.Serving);
        host.Health.SetStatus(EchoService.ServiceName, ServingStatus.Serving);
        await host.StartAsync();
        GrpcChannel channel = GrpcChannel.ForAddress(host.Address, channelOptions ?? new GrpcChannelOptions());
        return new TestServer(host, echo, channel, logs);
    }

    /// <summary>A plain unary call that must succeed: proves the server still serves.</summary>
    public async Task AssertServesNormalCallAsync()
    {
        EchoResponse response = await Channel.UnaryAsync(Unary, new EchoRequest { Message = "still alive" });
        Xunit.Assert.Equal("still alive", response.Message);
    }

    /// <summary>Polls a condition on the server's counters (cancellation is observed asynchronously).</summary>
    public async Task<bool> WaitForAsync(Func<EchoService, bool> condition, TimeSpan timeout)
    {
        DateTime end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition(Echo))
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition(Echo);
    }

    /// <summary>An HttpClient speaking h2c to the server, for hand-made (malformed) requests.</summary>
    public HttpClient CreateRawClient() => new(new SocketsHttpHandler { UseProxy = false })
    {
        BaseAddress = Address,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>The result of a hand-made call: HTTP status, headers, body bytes and the gRPC status.</summary>
public sealed record RawResult(HttpStatusCode HttpStatus, HttpResponseMessage Response, byte[] Body, Status? Status, bool TrailersOnly);

public static class RawCalls
{
    public static byte[] Frame(IMessage message, bool compressed = false) => MessageFraming.Frame(message.ToByteArray(), compressed);

    public static async Task<RawResult> SendAsync(HttpClient client, string path, byte[] body,
        string contentType = GrpcProtocol.ContentType, IDictionary<string, string>? headers = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (headers is not null)
        {
            foreach (KeyValuePair<string, string> header in headers)
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        HttpResponseMessage response = await client.SendAsync(request);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();
        Status? headerStatus = ClientStatusMapping.ReadStatus(response.Headers);
        Status? status = headerStatus ?? ClientStatusMapping.ReadStatus(response.TrailingHeaders);
        return new RawResult(response.StatusCode, response, bytes, status, headerStatus is not null);
    }
}

/// <summary>Keeps server log lines so tests can check what went to the log (and what did not go to clients).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(System.Collections.Concurrent.ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    }
}
