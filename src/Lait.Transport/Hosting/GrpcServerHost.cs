using System.Net;
using Lait.Transport.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lait.Transport.Hosting;

/// <summary>
/// A Kestrel server that speaks only gRPC: HTTP/2 only (h2c, or TLS with ALPN h2), the transport
/// middleware, health and reflection. Register services on <see cref="Registry"/> before or after
/// <see cref="StartAsync"/>.
/// </summary>
public sealed class GrpcServerHost : IAsyncDisposable
{
    private GrpcServerHost(WebApplication app, GrpcEndpointOptions endpoint)
    {
        App = app;
        Endpoint = endpoint;
        Registry = app.Services.GetRequiredService<GrpcServiceRegistry>();
        Health = app.Services.GetRequiredService<HealthService>();
        Options = app.Services.GetRequiredService<GrpcServerOptions>();
    }

    public WebApplication App { get; }

    public GrpcEndpointOptions Endpoint { get; }

    public GrpcServiceRegistry Registry { get; }

    public HealthService Health { get; }

    public GrpcServerOptions Options { get; }

    /// <summary>The bound port (after <see cref="StartAsync"/>; the real one when 0 was asked).</summary>
    public int Port { get; private set; }

    /// <summary>"http://127.0.0.1:port" or "https://...": the base address for clients.</summary>
    public Uri Address => new($"{(Endpoint.UsesTls ? "https" : "http")}://{FormatHost(Endpoint.Host)}:{Port}");

    /// <summary>
    /// Builds the host. <paramref name="configureBuilder"/> may add configuration, logging and
    /// services (it runs before the app is built); <paramref name="configureOptions"/> sets limits,
    /// compression and interceptors.
    /// </summary>
    public static GrpcServerHost Create(
        GrpcEndpointOptions endpoint,
        Action<GrpcServerOptions>? configureOptions = null,
        Action<WebApplicationBuilder>? configureBuilder = null,
        string[]? args = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args ?? [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, endpoint));
        builder.Services.AddGrpcTransport(configureOptions);
        // Long streams must not hold a stopping server for the default 30 s.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        configureBuilder?.Invoke(builder);
        WebApplication app = builder.Build();
        app.UseGrpcTransport();
        HealthService health = app.Services.GetRequiredService<HealthService>();
        app.Lifetime.ApplicationStopping.Register(health.Shutdown);
        return new GrpcServerHost(app, endpoint);
    }

    /// <summary>Binds one HTTP/2-only endpoint (h2c or TLS) with windows sized for streaming.</summary>
    public static void ConfigureKestrel(KestrelServerOptions kestrel, GrpcEndpointOptions endpoint)
    {
        kestrel.AddServerHeader = false;
        // gRPC streams are flow-controlled per message; larger windows keep big messages and
        // fast streams from stalling on WINDOW_UPDATE round trips.
        kestrel.Limits.Http2.InitialConnectionWindowSize = 2 * 1024 * 1024;
        kestrel.Limits.Http2.InitialStreamWindowSize = 1024 * 1024;
        kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = endpoint.LoadCertificate();
        kestrel.Listen(ParseAddress(endpoint.Host), endpoint.Port, listen =>
        {
            // h2c needs an HTTP/2-only endpoint: without TLS there is no ALPN to pick the protocol.
            listen.Protocols = HttpProtocols.Http2;
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        });
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await App.StartAsync(cancellationToken).ConfigureAwait(false);
        IServerAddressesFeature? addresses = App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>();
        string? first = addresses?.Addresses.FirstOrDefault();
        Port = first is null ? Endpoint.Port : new Uri(first.Replace("[::]", "localhost", StringComparison.Ordinal)).Port;
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync().ConfigureAwait(false);
    }

    private static IPAddress ParseAddress(string host) => host switch
    {
        "localhost" => IPAddress.Loopback,
        "*" or "0.0.0.0" => IPAddress.Any,
        _ => IPAddress.Parse(host),
    };

    private static string FormatHost(string host) =>
        IPAddress.TryParse(host, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{host}]"
            : host;
}
