using System.Net.Security;
using Lait.Grpc.Wire;

namespace Lait.Client;

public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted (after decompression). Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent; larger → RESOURCE_EXHAUSTED before sending. Default unlimited.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue;

    /// <summary>Compression used for requests unless a call says otherwise; null = none.</summary>
    public string? WriteCompression { get; set; }

    public IList<ICompressionProvider> CompressionProviders { get; } = new List<ICompressionProvider> { GzipCompressionProvider.Instance, DeflateCompressionProvider.Instance };

    /// <summary>Headers added to every call (e.g. authorization).</summary>
    public Metadata DefaultHeaders { get; } = new();

    /// <summary>Adds "authorization: Bearer &lt;key&gt;" to every call.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Accepts the server certificate over TLS (for self-signed certificates); null = system trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>A handler to send through instead of the channel's own SocketsHttpHandler (tests, proxies).</summary>
    public HttpMessageHandler? HttpHandler { get; set; }

    /// <summary>Whether disposing the channel disposes <see cref="HttpHandler"/>.</summary>
    public bool DisposeHttpHandler { get; set; } = true;
}
