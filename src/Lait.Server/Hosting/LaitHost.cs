using System.Net;
using Grpc.HealthCheck;
using Lait.Server.Health;
using Lait.Server.Interceptors;
using Lait.Server.Metrics;
using Lait.Server.Service;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lait.Server.Hosting;

/// <summary>
/// Builds the web host: Kestrel with the gRPC endpoint (HTTP/2 only: h2c, or TLS with ALPN h2) and
/// the optional plain HTTP/1.1 endpoints for /metrics and for JSON (gRPC JSON transcoding of the
/// unary RPCs, routes from the google.api.http options in lait.proto; over TLS when the gRPC
/// endpoint is, since it carries the same API keys); Grpc.AspNetCore with our
/// interceptors (metrics, then API keys, then errors, then response compression), message limits;
/// lait.v1.Lait, grpc.health.v1 (Grpc.AspNetCore.HealthChecks) and reflection v1 + v1alpha
/// (Grpc.AspNetCore.Server.Reflection).
/// </summary>
public sealed class LaitHost
{
    /// <summary>Connection item naming the listener a connection arrived on.</summary>
    private const string ListenerItem = "lait.listener";
    private const string MetricsListener = "metrics";

    private readonly Listeners _listeners;

    private LaitHost(WebApplication app, Listeners listeners, bool tls)
    {
        App = app;
        _listeners = listeners;
        UsesTls = tls;
        State = app.Services.GetRequiredService<ServingState>();
        Slot = app.Services.GetRequiredService<LaitServiceSlot>();
    }

    public WebApplication App { get; }

    public ServingState State { get; }

    public LaitServiceSlot Slot { get; }

    public bool UsesTls { get; }

    /// <summary>The bound gRPC port (after <see cref="StartAsync"/>; the real one when 0 was asked).</summary>
    public int GrpcPort => _listeners.Grpc?.IPEndPoint?.Port ?? 0;

    /// <summary>The bound /metrics port, or -1 when disabled.</summary>
    public int MetricsPort => _listeners.Metrics?.IPEndPoint?.Port ?? -1;

    /// <summary>The bound JSON (HTTP/1.1) port, or -1 when disabled.</summary>
    public int HttpPort => _listeners.Json?.IPEndPoint?.Port ?? -1;

    public static LaitHost Create(ServerSettings settings, LaitSettings lait, MetricsRegistry metrics)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        // Per-request lines from ASP.NET Core would drown the log of a busy gRPC server.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc.AspNetCore", LogLevel.Warning);
        // NOT_SERVING while starting and draining is expected; the health-check service would log
        // each of those checks as an error. ServingState's transitions are logged by Program.
        builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        if (lait.JsonLogs)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddJsonConsole();
        }
        // Long streams must not hold a stopping server for the default 30 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        GrpcEndpointOptions endpoint = settings.ToEndpoint();
        var certificate = endpoint.LoadCertificate();
        IPAddress address = ParseAddress(settings.Host);
        // Kestrel runs this when it starts; the listeners then carry the ports actually bound.
        var listeners = new Listeners();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // gRPC streams are flow-controlled per message; larger windows keep big messages and fast
            // streams from stalling on WINDOW_UPDATE round trips.
            kestrel.Limits.Http2.InitialConnectionWindowSize = 2 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
            kestrel.Limits.Http2.MaxStreamsPerConnection = lait.MaxStreamsPerConnection;
            // Dead peers: a PING every 30 s on a connection that received nothing, closed when unanswered for 20 s.
            // A connection with no open stream is closed after Kestrel's KeepAliveTimeout (130 s);
            // a stream that stops sending is ended by TransportGuardInterceptor (--stream-idle-seconds).
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(30);
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(20);
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(130);
            // Request headers: bounded well below what h2 clients refuse to carry back.
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            // Kestrel answers HTTP 431 (no gRPC status) past its header count; let GrpcRequestGuard count
            // metadata instead and answer RESOURCE_EXHAUSTED (the 32 KiB total above still ends in 431).
            kestrel.Limits.MaxRequestHeaderCount = 1000;
            // Kestrel's 30 MB request-body cap would end large client streams; gRPC's message limit applies instead.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(address, settings.Port, listen =>
            {
                listeners.Grpc = listen;
                // h2c needs an HTTP/2-only endpoint: without TLS there is no ALPN to pick the protocol.
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null) listen.UseHttps(certificate);
            });
            if (lait.HttpPort >= 0)
            {
                kestrel.Listen(address, lait.HttpPort, listen =>
                {
                    listeners.Json = listen;
                    // HTTP/1.1 so that any HTTP client (curl, a browser, requests) can call it.
                    listen.Protocols = HttpProtocols.Http1;
                    if (certificate is not null) listen.UseHttps(certificate);
                });
            }
            if (lait.MetricsPort >= 0)
            {
                kestrel.Listen(address, lait.MetricsPort, listen =>
                {
                    listeners.Metrics = listen;
                    listen.Protocols = HttpProtocols.Http1;
                    listen.Use(next => connection =>
                    {
                        connection.Items[ListenerItem] = MetricsListener;
                        return next(connection);
                    });
                });
            }
        });

        var apiKeys = new ApiKeys(settings.ApiKeys);
        builder.Services.AddSingleton(metrics);
        builder.Services.AddSingleton(apiKeys);
        builder.Services.AddSingleton(lait.Transport);
        builder.Services.AddSingleton<TransportGuardInterceptor>();
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = lait.MaxMessageBytes;
            options.MaxSendMessageSize = lait.MaxMessageBytes;
            options.ResponseCompressionAlgorithm = ResponseCompressionInterceptor.Algorithm;
            // Order matters: metrics outermost (it sees every final status, auth failures included),
            // then API keys (a call without a key costs nothing more), then the error mapping.
            options.Interceptors.Add<MetricsInterceptor>();
            options.Interceptors.Add<TransportGuardInterceptor>();
            options.Interceptors.Add<ApiKeyInterceptor>();
            options.Interceptors.Add<ErrorInterceptor>();
            options.Interceptors.Add<ResponseCompressionInterceptor>();
        }).AddJsonTranscoding()
            // A health request carries one service name: a message over 1 KiB is RESOURCE_EXHAUSTED from its
            // length prefix, before it is buffered (health needs no API key; issue 17, items 5 and 6).
            .AddServiceOptions<HealthServiceImpl>(o => o.MaxReceiveMessageSize = TransportLimits.MaxHealthRequestBytes);
        builder.Services.AddGrpcReflection();
        builder.Services.AddSingleton(sp => new ServingState(sp.GetService<HealthServiceImpl>()));
        builder.Services.AddSingleton<LaitServiceSlot>();
        builder.Services.AddSingleton<LaitGrpcService>();
        builder.Services
            .AddGrpcHealthChecks(o =>
            {
                o.Services.Clear();
                foreach (string service in ServingState.ReportedServices) o.Services.Map(service, r => r.Tags.Contains(ServingState.Tag));
            })
            .AddCheck<ServingHealthCheck>(ServingHealthCheck.Name, tags: [ServingState.Tag]);
        // Watch streams are fed by the health-check publisher; ServingState also pushes each transition at once.
        builder.Services.Configure<HealthCheckPublisherOptions>(o =>
        {
            o.Delay = TimeSpan.Zero;
            o.Period = TimeSpan.FromSeconds(1);
        });

        WebApplication app = builder.Build();
        if (lait.MetricsPort >= 0)
        {
            app.Use(async (context, next) =>
            {
                var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
                if (items is null || !items.TryGetValue(ListenerItem, out object? listener) || !MetricsListener.Equals(listener))
                {
                    await next(context).ConfigureAwait(false);
                    return;
                }
                if (context.Request.Path != "/metrics" || !HttpMethods.IsGet(context.Request.Method))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    await context.Response.WriteAsync("only GET /metrics is served here\n").ConfigureAwait(false);
                    return;
                }
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await context.Response.WriteAsync(metrics.Export()).ConfigureAwait(false);
            });
        }
        app.Use(GrpcRequestGuard.Middleware);
        app.MapGrpcService<LaitGrpcService>();
        // HealthServiceImpl itself (the singleton that Grpc.AspNetCore.HealthChecks' publisher and ServingState
        // update) rather than MapGrpcHealthChecksService's internal wrapper, so that its service options
        // (the message limit above) apply.
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcReflectionService();

        ServingState state = app.Services.GetRequiredService<ServingState>();
        app.Lifetime.ApplicationStopping.Register(() => state.SetNotServing("the server is shutting down"));
        return new LaitHost(app, listeners, certificate is not null);
    }

    public Task StartAsync() => App.StartAsync();

    public Task StopAsync() => App.StopAsync();

    private sealed class Listeners
    {
        public ListenOptions? Grpc { get; set; }

        public ListenOptions? Metrics { get; set; }

        public ListenOptions? Json { get; set; }
    }

    private static IPAddress ParseAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        _ => IPAddress.Parse(host),
    };
}
