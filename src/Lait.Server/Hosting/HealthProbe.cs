using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Health.V1;
using Lait.Grpc.Wire;

namespace Lait.Server.Hosting;

/// <summary>
/// `Lait.Server --probe`: one grpc.health.v1 Check against a running server, for container
/// HEALTHCHECKs and scripts. Exit code 0 when SERVING, 1 otherwise, 2 when unreachable.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string host, int port, string service, bool tls, TimeSpan timeout)
    {
        using var handler = new SocketsHttpHandler();
        if (tls) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // probing our own process
        using var http = new HttpClient(handler) { Timeout = timeout };
        var uri = new Uri($"{(tls ? "https" : "http")}://{host}:{port}/grpc.health.v1.Health/Check");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(MessageFraming.Frame(new HealthCheckRequest { Service = service }.ToByteArray(), compressed: false)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(GrpcProtocol.ContentType);
        request.Headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, GrpcProtocol.TeTrailers);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            var message = await MessageFraming.ReadAsync(body, 1024, CancellationToken.None).ConfigureAwait(false);
            // Trailers arrive only after the body has been read to its end.
            await body.CopyToAsync(Stream.Null).ConfigureAwait(false);
            string? status = response.TrailingHeaders.TryGetValues(GrpcProtocol.StatusHeader, out var t) ? t.FirstOrDefault()
                : response.Headers.TryGetValues(GrpcProtocol.StatusHeader, out var h) ? h.FirstOrDefault() : null;
            if (status != "0" || message is null)
            {
                Console.Error.WriteLine($"health check of '{service}' failed: grpc-status {status ?? "missing"}");
                return 1;
            }
            var reply = HealthCheckResponse.Parser.ParseFrom(message.Value.Data);
            Console.WriteLine(reply.Status);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            Console.Error.WriteLine($"cannot reach {uri.GetLeftPart(UriPartial.Authority)}: {ex.Message}");
            return 2;
        }
    }
}
