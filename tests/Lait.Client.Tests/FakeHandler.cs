using System.Net;
using Google.Protobuf;
using Lait.Grpc.Wire;

namespace Lait.Client.Tests;

/// <summary>Answers every request with a canned HTTP/2 response and records what was sent.</summary>
internal sealed class FakeHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, HttpResponseMessage> _respond;

    public FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> respond)
    {
        _respond = respond;
    }

    public HttpRequestMessage? LastRequest { get; private set; }

    public byte[]? LastRequestBody { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        LastRequest = request;
        LastRequestBody = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        HttpResponseMessage response = _respond(request);
        response.RequestMessage = request;
        response.Version = HttpVersion.Version20;
        return response;
    }

    /// <summary>A gRPC response: 200, application/grpc, the given body, status in trailers.</summary>
    public static HttpResponseMessage Grpc(byte[] body, StatusCode code = StatusCode.OK, string? message = null,
        IEnumerable<(string Key, string Value)>? headers = null, IEnumerable<(string Key, string Value)>? trailers = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) };
        response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        foreach ((string key, string value) in headers ?? [])
        {
            response.Headers.TryAddWithoutValidation(key, value);
        }

        foreach ((string key, string value) in trailers ?? [])
        {
            response.TrailingHeaders.TryAddWithoutValidation(key, value);
        }

        response.TrailingHeaders.TryAddWithoutValidation("grpc-status", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (message is not null)
        {
            response.TrailingHeaders.TryAddWithoutValidation("grpc-message", GrpcMessageEncoding.Encode(message));
        }

        return response;
    }

    public static byte[] Frame(IMessage message) => MessageFraming.Frame(message.ToByteArray(), compressed: false);
}
