using System.Globalization;
using System.Net.Http.Headers;
using Lait.Grpc.Wire;

namespace Lait.Client;

/// <summary>How the client turns headers and transport failures into gRPC statuses.</summary>
public static class ClientStatusMapping
{
    /// <summary>grpc-status and grpc-message from headers or trailers; null when grpc-status is absent.</summary>
    public static Status? ReadStatus(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out IEnumerable<string>? values))
        {
            return null;
        }

        string raw = values.First();
        StatusCode code = int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            ? (StatusCode)value
            : StatusCode.Unknown;
        string message = headers.TryGetValues(GrpcProtocol.MessageHeader, out IEnumerable<string>? messages)
            ? GrpcMessageEncoding.Decode(messages.First())
            : string.Empty;
        return new Status(code, message);
    }

    /// <summary>
    /// A failure below gRPC: connection refused or lost → UNAVAILABLE; an HTTP/2 stream reset by
    /// the server → by its error code (CANCEL → CANCELLED, REFUSED_STREAM → UNAVAILABLE,
    /// ENHANCE_YOUR_CALM → RESOURCE_EXHAUSTED, INADEQUATE_SECURITY → PERMISSION_DENIED, else INTERNAL).
    /// </summary>
    public static Status FromTransportException(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException protocol)
            {
                return protocol.ErrorCode switch
                {
                    0x8 => new Status(StatusCode.Cancelled, "the server cancelled the stream"),
                    0x7 => new Status(StatusCode.Unavailable, "the server refused the stream"),
                    0xb => new Status(StatusCode.ResourceExhausted, "the server answered ENHANCE_YOUR_CALM"),
                    0xc => new Status(StatusCode.PermissionDenied, "inadequate security"),
                    _ => new Status(StatusCode.Internal, $"HTTP/2 error {protocol.ErrorCode}: {protocol.Message}"),
                };
            }
        }

        return ex switch
        {
            HttpRequestException http => new Status(StatusCode.Unavailable, $"cannot reach the server: {http.Message}"),
            IOException io => new Status(StatusCode.Unavailable, $"connection lost: {io.Message}"),
            OperationCanceledException => new Status(StatusCode.Cancelled, "call cancelled"),
            _ => new Status(StatusCode.Internal, $"unexpected client error: {ex.Message}"),
        };
    }
}
