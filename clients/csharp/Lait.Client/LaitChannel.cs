using System.Net.Http.Headers;
using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Lait.Client;

/// <summary>What <see cref="LaitChannel.ForAddress(string, LaitChannelOptions?)"/> sets up on top of Grpc.Net.Client's defaults.</summary>
public sealed record LaitChannelOptions
{
    /// <summary>Sent as "authorization: Bearer &lt;key&gt;" on every call (plain http too); null = none.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Accepts the server certificate over TLS (self-signed certificates); null = system trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; init; }

    /// <summary>Largest response message accepted; null = Grpc.Net.Client's default (4 MiB).</summary>
    public int? MaxReceiveMessageSize { get; init; }

    /// <summary>Largest request message sent; null = unlimited.</summary>
    public int? MaxSendMessageSize { get; init; }
}

/// <summary>
/// Creates <see cref="GrpcChannel"/>s (Grpc.Net.Client) for a LaitGrpc server: accepts "host:port"
/// as well as URLs, adds the API key, and keeps one HTTP/2 connection pool with keep-alive pings.
/// </summary>
public static class LaitChannel
{
    /// <summary>
    /// A channel to <paramref name="address"/>: "http://host:port" (h2c), "https://host:port" (TLS)
    /// or plain "host:port" (h2c). Dispose it when done; share one per server.
    /// </summary>
    public static GrpcChannel ForAddress(string address, LaitChannelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        return ForAddress(ParseAddress(address), options);
    }

    public static GrpcChannel ForAddress(Uri address, LaitChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        options ??= new LaitChannelOptions();
        var sockets = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            UseCookies = false,
            UseProxy = false,
        };
        if (options.ServerCertificateValidation is not null)
        {
            sockets.SslOptions.RemoteCertificateValidationCallback = options.ServerCertificateValidation;
        }

        HttpMessageHandler handler = options.ApiKey is { Length: > 0 } key ? new ApiKeyHandler(key, sockets) : sockets;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = options.MaxReceiveMessageSize ?? 4 * 1024 * 1024,
            MaxSendMessageSize = options.MaxSendMessageSize,
        });
    }

    /// <summary>"host:port" becomes "http://host:port"; URLs must be http or https.</summary>
    public static Uri ParseAddress(string address)
    {
        string trimmed = address.Trim();
        if (!trimmed.Contains("://", StringComparison.Ordinal))
        {
            trimmed = "http://" + trimmed;
        }

        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Port <= 0)
        {
            throw new ArgumentException($"address must be host:port, http://host:port or https://host:port, got '{address}'", nameof(address));
        }

        return uri;
    }

    /// <summary>Call options with a deadline <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        new(headers: headers, deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken);

    private sealed class ApiKeyHandler(string key, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", key);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization ??= _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
