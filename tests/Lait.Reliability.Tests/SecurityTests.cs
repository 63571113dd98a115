using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Reliability.Tests;

/// <summary>API keys on every method, and TLS with a certificate the test makes itself.</summary>
public class SecurityTests
{
    private const string Key = "k3y-for-the-reliability-suite";

    [Fact]
    public async Task EveryLaitMethodAndReflectionRefuseMissingOrWrongKeysButHealthDoesNot()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--api-key", Key);
        using var raw = new RawGrpc(server.Port);
        (string, string)[][] badCredentials =
        [
            [],
            [("authorization", "Bearer wrong-key")],
            [("authorization", "Bearer " + Key + "x")],
            [("authorization", Key)],            // no Bearer scheme
            [("authorization", "Basic " + Key)], // another scheme
            [("authorization", "Bearer ")],
        ];
        var wrong = new List<string>();
        int checkedCalls = 0;
        foreach (var target in FrameFuzzer.Targets.Where(t => !t.Path.StartsWith("/grpc.health", StringComparison.Ordinal)))
        {
            foreach (var headers in badCredentials)
            {
                var result = await raw.SendAsync(target.Path, RawGrpc.Frame(target.ValidMessage), target.GrpcTimeout, headers);
                checkedCalls++;
                if (result.GrpcStatus != (int)StatusCode.Unauthenticated) wrong.Add($"{target.Path} with [{string.Join(", ", headers)}] -> {result}");
            }
            // The right key passes the interceptor (whatever the method then answers).
            var ok = await raw.SendAsync(target.Path, RawGrpc.Frame(target.ValidMessage), target.GrpcTimeout, [("authorization", "Bearer " + Key)]);
            if (ok.GrpcStatus is (int)StatusCode.Unauthenticated or null) wrong.Add($"{target.Path} with the right key -> {ok}");
        }
        Assert.Equal(10 * badCredentials.Length, checkedCalls);
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));

        // Health needs no key (load balancers and kubelets probe without one).
        var health = await raw.SendAsync("/grpc.health.v1.Health/Check", RawGrpc.Frame(FrameFuzzer.Targets.First(t => t.Path.EndsWith("/Check")).ValidMessage));
        Assert.Equal(0, health.GrpcStatus);
        Assert.Equal(ServingStatus.Serving, await ServerProcess.CheckHealthAsync(server.Channel));

        // The typed client: refused without the key, served with it.
        var refused = await Assert.ThrowsAsync<RpcException>(() => server.Client.CombineAsync(InlineCombine()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        using var keyed = LaitChannel.ForAddress($"http://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = Key });
        var answer = await new LaitClient(keyed).CombineAsync(InlineCombine());
        Assert.Equal(3, answer.ClaimVerification.VerdictScores.Count);
    }

    [Fact]
    public async Task TlsWithASelfSignedCertificateServesEncodeAndCombine()
    {
        using var dir = new TempDirectory();
        using X509Certificate2 certificate = CreateSelfSigned();
        string pfx = dir.Sub("server.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pkcs12, "pfx-pw"));
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        string thumbprint = certificate.GetCertHashString();

        await using var server = await ServerProcess.StartAsync(
            ["--model-dir", model, "--store-dir", dir.Sub("store"), "--codec", "fp32", "--tls-cert", pfx, "--tls-password", "pfx-pw", "--api-key", Key],
            tlsValidation: (_, cert, _, _) => cert?.GetCertHashString() == thumbprint, apiKey: Key);

        var acks = await Segments.EncodeAsync(server.Client, [("the sky is blue .", Role.First), ("water is wet .", Role.Other)]);
        Assert.All(acks, a => Assert.Null(a.Error));
        var stored = await server.Client.CombineAsync(Segments.Verify(acks.Select(a => a.SegmentId)));
        var inline = await server.Client.CombineAsync(InlineCombine());
        Assert.Equal(Segments.Fingerprint(inline), Segments.Fingerprint(stored));

        // A client that does not trust the certificate gets no answer, and plaintext gets none either.
        using var untrusting = LaitChannel.ForAddress($"https://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = Key });
        var untrusted = await Assert.ThrowsAsync<RpcException>(() => new LaitClient(untrusting).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        // Grpc.Net.Client reports a failed TLS handshake as INTERNAL (the hand-written client said
        // UNAVAILABLE); what matters is that the call failed on the certificate.
        Assert.Equal(StatusCode.Internal, untrusted.StatusCode);
        Assert.Contains("SSL", untrusted.Status.Detail + untrusted.Status.DebugException?.ToString(), StringComparison.Ordinal);
        using var plaintext = LaitChannel.ForAddress($"http://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = Key });
        await Assert.ThrowsAsync<RpcException>(() => new LaitClient(plaintext).ListModelsAsync(new ListModelsRequest(), LaitChannel.WithTimeout(TimeSpan.FromSeconds(10))).ResponseAsync);
    }

    private static CombineRequest InlineCombine()
    {
        var request = new CombineRequest { Task = TaskType.VerifyClaim, Aggregation = Aggregation.Mean };
        request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "the sky is blue ." } });
        request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "water is wet ." } });
        return request;
    }

    private static X509Certificate2 CreateSelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Round-trip through PKCS#12 so that the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }
}
