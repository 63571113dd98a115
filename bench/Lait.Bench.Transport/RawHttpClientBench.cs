using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Lait.Test.V1;

namespace Lait.Bench.Transport;

/// <summary>
/// Unary calls on a bare HttpClient (framing by hand, no client library): the floor that
/// Lait.Client's own per-call cost sits on.
/// </summary>
public static class RawHttpClientBench
{
    public static async Task<double[]> UnaryAsync(string address, BenchSettings settings)
    {
        using var http = new HttpClient(new SocketsHttpHandler())
        {
            BaseAddress = new Uri($"http://{address}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        byte[] message = new EchoRequest { Message = "bench", Payload = ByteString.CopyFrom(new byte[settings.SmallBytes]) }.ToByteArray();
        byte[] frame = new byte[5 + message.Length];
        frame[1] = (byte)(message.Length >> 24);
        frame[2] = (byte)(message.Length >> 16);
        frame[3] = (byte)(message.Length >> 8);
        frame[4] = (byte)message.Length;
        message.CopyTo(frame, 5);
        for (int i = 0; i < settings.Warmup; i++)
        {
            await CallAsync(http, frame);
        }

        double[] latencies = new double[settings.UnaryCalls];
        for (int i = 0; i < latencies.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await CallAsync(http, frame);
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(latencies);
        return latencies;
    }

    private static async Task CallAsync(HttpClient http, byte[] frame)
    {
        var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/lait.test.v1.Echo/Unary")
        {
            Content = content,
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        string? status = response.TrailingHeaders.TryGetValues("grpc-status", out IEnumerable<string>? values) ? values.First() : null;
        if (status != "0" || body.Length < 5 || EchoResponse.Parser.ParseFrom(body, 5, body.Length - 5).Message != "bench")
        {
            throw new InvalidOperationException($"raw unary call failed: grpc-status {status}, {body.Length} body bytes: {Convert.ToHexString(body)}; headers {response.Headers}; trailers {response.TrailingHeaders}");
        }
    }
}
