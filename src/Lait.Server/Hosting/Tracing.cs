using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lait.Server.Hosting;

/// <summary>
/// Optional OpenTelemetry tracing: one server span per gRPC call (with the call's status and, for
/// Combine, where the time went), exported over OTLP/HTTP when an endpoint is configured.
/// </summary>
public static class Tracing
{
    public static readonly ActivitySource Source = new("Lait.Server");

    /// <summary>Starts exporting to <paramref name="endpoint"/> (e.g. http://collector:4318); null when not configured.</summary>
    public static TracerProvider? Start(string? endpoint)
    {
        if (string.IsNullOrEmpty(endpoint)) return null;
        var uri = new Uri(endpoint);
        // OTLP/HTTP posts traces to /v1/traces; accept the collector's base address too.
        if (uri.AbsolutePath is "" or "/") uri = new Uri(uri, "/v1/traces");
        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService("laitgrpc"))
            // ASP.NET Core starts the request activity our call span hangs under (and picks up the
            // client's traceparent); without it the parent-based sampler would drop our spans.
            .AddSource("Microsoft.AspNetCore", Source.Name)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = uri;
                o.Protocol = OtlpExportProtocol.HttpProtobuf;
            })
            .Build();
    }
}
