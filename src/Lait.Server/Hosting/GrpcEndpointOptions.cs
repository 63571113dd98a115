using System.Security.Cryptography.X509Certificates;

namespace Lait.Server.Hosting;

/// <summary>Where and how the server listens.</summary>
public sealed class GrpcEndpointOptions
{
    public const int DefaultPort = 50051;

    /// <summary>IP address to bind ("127.0.0.1" by default; "0.0.0.0" or "::" for every interface, "localhost" = loopback).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (read it back from the LISTENING line).</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>A certificate to serve HTTP/2 over TLS (ALPN "h2") instead of h2c.</summary>
    public X509Certificate2? TlsCertificate { get; set; }

    /// <summary>Certificate file: .pfx/.p12 (with <see cref="TlsCertificatePassword"/>) or PEM (with <see cref="TlsKeyPath"/>).</summary>
    public string? TlsCertificatePath { get; set; }

    public string? TlsCertificatePassword { get; set; }

    /// <summary>PEM private key file for a PEM <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsKeyPath { get; set; }

    public bool UsesTls => TlsCertificate is not null || !string.IsNullOrEmpty(TlsCertificatePath);

    /// <summary>Loads the configured certificate, or null for h2c.</summary>
    public X509Certificate2? LoadCertificate()
    {
        if (TlsCertificate is not null)
        {
            return TlsCertificate;
        }

        if (string.IsNullOrEmpty(TlsCertificatePath))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(TlsKeyPath))
        {
            using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(TlsCertificatePath, TlsKeyPath);
            // Re-import: on some platforms an ephemeral PEM key cannot be used by SslStream.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        return X509CertificateLoader.LoadPkcs12FromFile(TlsCertificatePath, TlsCertificatePassword);
    }
}
