using Microsoft.AspNetCore.Http;

namespace Lait.Server.Hosting;

/// <summary>
/// Refuses, before routing, gRPC requests that the stack would otherwise mishandle (issue 17 item 10):
/// a content subtype other than protobuf (application/grpc+json used to be parsed as protobuf) and
/// more metadata entries than <see cref="MaxMetadataEntries"/> (Kestrel would answer HTTP 431, which
/// clients report without a gRPC status). The answer is a trailers-only gRPC response.
/// </summary>
public static class GrpcRequestGuard
{
    /// <summary>Most custom metadata entries one call may carry (grpc-* and HTTP/2 transport headers not counted).</summary>
    public const int MaxMetadataEntries = 100;

    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "content-type", "te", "user-agent", "host", "content-length", "accept-encoding",
    };

    public static async Task Middleware(HttpContext context, RequestDelegate next)
    {
        string? contentType = context.Request.ContentType;
        if (contentType is null || !contentType.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) || !context.Request.Protocol.StartsWith("HTTP/2", StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }
        string subtype = contentType.Length > "application/grpc".Length ? contentType["application/grpc".Length..].Split(';')[0].Trim() : "";
        if (subtype.Length > 0 && !subtype.Equals("+proto", StringComparison.OrdinalIgnoreCase))
        {
            Refuse(context, Grpc.Core.StatusCode.Unimplemented,
                $"content-type {Validation.ErrorText.Cap(contentType)} is not served: gRPC messages here are protobuf (application/grpc or application/grpc+proto); JSON is served over HTTP/1.1 on --http-port");
            return;
        }
        int metadata = 0;
        foreach (var header in context.Request.Headers)
        {
            if (header.Key.StartsWith(':') || header.Key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase) || TransportHeaders.Contains(header.Key)) continue;
            metadata += Math.Max(1, header.Value.Count);
        }
        if (metadata > MaxMetadataEntries)
        {
            Refuse(context, Grpc.Core.StatusCode.ResourceExhausted,
                $"the call carries {metadata} metadata entries, at most {MaxMetadataEntries} are accepted; send fewer headers");
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    private static void Refuse(HttpContext context, Grpc.Core.StatusCode code, string message)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
    }
}
