using Lait.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Lait.Server.Hosting;

/// <summary>
/// Serves Prometheus' text format on GET /metrics over plain HTTP/1.1 on its own port, beside the
/// HTTP/2-only gRPC endpoint. Requests are told apart by protocol: gRPC never arrives as HTTP/1.1.
/// </summary>
public static class MetricsEndpoint
{
    public static void Configure(WebApplicationBuilder builder, MetricsRegistry metrics, string host, int port)
    {
        if (port < 0) return;
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(host == "localhost" ? System.Net.IPAddress.Loopback : System.Net.IPAddress.Parse(host == "*" ? "0.0.0.0" : host), port,
                listen => listen.Protocols = HttpProtocols.Http1));
        builder.Services.AddSingleton<IStartupFilter>(new Filter(metrics));
    }

    private sealed class Filter(MetricsRegistry metrics) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (!HttpProtocol.IsHttp11(context.Request.Protocol) && !HttpProtocol.IsHttp10(context.Request.Protocol))
                {
                    await nextMiddleware(context).ConfigureAwait(false);
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
            next(app);
        };
    }
}
