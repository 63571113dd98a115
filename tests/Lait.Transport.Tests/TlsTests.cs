using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Lait.Transport.Hosting;
using Xunit;

namespace Lait.Transport.Tests;

public sealed class TlsTests
{
    [Fact]
    public async Task Tls_SelfSignedCertificate_ServesHttp2CallsToAClientThatTrustsIt()
    {
        using X509Certificate2 certificate = CreateSelfSigned();
        await using TestServer server = await TestServer.StartAsync(
            endpoint: new GrpcEndpointOptions { TlsCertificate = certificate },
            channelOptions: new GrpcChannelOptions
            {
                ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString(),
            });

        Assert.Equal("https", server.Address.Scheme);
        EchoResponse response = await server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "over tls" });
        Assert.Equal("over tls", response.Message);

        using var stream = server.Channel.AsyncServerStreamingCall(TestServer.ServerStream, new EchoRequest { Repeat = 3 });
        int count = 0;
        while (await stream.ResponseStream.MoveNext())
        {
            count++;
        }

        Assert.Equal(3, count);
    }

    [Fact]
    public async Task Tls_UntrustedCertificate_FailsUnavailable()
    {
        using X509Certificate2 certificate = CreateSelfSigned();
        await using TestServer server = await TestServer.StartAsync(endpoint: new GrpcEndpointOptions { TlsCertificate = certificate });

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() =>
            server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "x" }));
        Assert.Equal(StatusCode.Unavailable, ex.StatusCode);
    }

    [Fact]
    public async Task Tls_PfxFileWithPassword_IsLoadedFromDisk()
    {
        using X509Certificate2 certificate = CreateSelfSigned();
        string path = Path.Combine(Path.GetTempPath(), $"lait-test-{Guid.NewGuid():N}.pfx");
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pkcs12, "pw"));
        try
        {
            await using TestServer server = await TestServer.StartAsync(
                endpoint: new GrpcEndpointOptions { TlsCertificatePath = path, TlsCertificatePassword = "pw" },
                channelOptions: new GrpcChannelOptions { ServerCertificateValidation = (_, _, _, _) => true });

            EchoResponse response = await server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "pfx" });
            Assert.Equal("pfx", response.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Tls_PemCertificateAndKeyFiles_AreLoadedFromDisk()
    {
        using X509Certificate2 certificate = CreateSelfSigned();
        string certPath = Path.Combine(Path.GetTempPath(), $"lait-test-{Guid.NewGuid():N}.crt.pem");
        string keyPath = Path.Combine(Path.GetTempPath(), $"lait-test-{Guid.NewGuid():N}.key.pem");
        using ECDsa key = certificate.GetECDsaPrivateKey()!;
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        try
        {
            await using TestServer server = await TestServer.StartAsync(
                endpoint: new GrpcEndpointOptions { TlsCertificatePath = certPath, TlsKeyPath = keyPath },
                channelOptions: new GrpcChannelOptions
                {
                    ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString(),
                });

            EchoResponse response = await server.Channel.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "pem" });
            Assert.Equal("pem", response.Message);
        }
        finally
        {
            File.Delete(certPath);
            File.Delete(keyPath);
        }
    }

    internal static X509Certificate2 CreateSelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using X509Certificate2 ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }
}
