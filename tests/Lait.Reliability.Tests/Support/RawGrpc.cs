using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Lait.Reliability.Tests.Support;

/// <summary>What came back for one raw request.</summary>
public sealed record RawResult(int HttpStatus, int? GrpcStatus, string? GrpcMessage, bool TrailersOnly, int BodyBytes)
{
    public override string ToString() =>
        $"HTTP {HttpStatus}, grpc-status {(GrpcStatus?.ToString() ?? "absent")}{(TrailersOnly ? " (trailers-only)" : "")}, message '{GrpcMessage}', {BodyBytes} body bytes";
}

/// <summary>
/// Sends arbitrary bytes as a gRPC request body over HTTP/2 (prior knowledge, no TLS), so that the
/// server sees exactly the frames a broken or hostile client would send.
/// </summary>
public sealed class RawGrpc(int port) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public static byte[] Frame(ReadOnlySpan<byte> message, bool compressed = false)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public async Task<RawResult> SendAsync(string path, byte[] body, string? grpcTimeout = "5S", IEnumerable<(string Name, string Value)>? headers = null,
        string contentType = "application/grpc")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}{path}")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (grpcTimeout is not null) request.Headers.TryAddWithoutValidation("grpc-timeout", grpcTimeout);
        foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        // Read the whole body: the trailers arrive after it.
        byte[] payload = await response.Content.ReadAsByteArrayAsync();
        string? status = Header(response.Headers, "grpc-status");
        bool trailersOnly = status is not null;
        string? message = Header(response.Headers, "grpc-message");
        if (status is null)
        {
            status = Header(response.TrailingHeaders, "grpc-status");
            message = Header(response.TrailingHeaders, "grpc-message");
        }
        int? code = int.TryParse(status, out int c) ? c : null;
        return new RawResult((int)response.StatusCode, code, message is null ? null : Uri.UnescapeDataString(message), trailersOnly, payload.Length);
    }

    private static string? Header(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public void Dispose() => _http.Dispose();
}
