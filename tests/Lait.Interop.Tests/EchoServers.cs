using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Xunit;

namespace Lait.Interop.Tests;

/// <summary>
/// The three servers the interop suites need, all with the EchoServer CLI: plain h2c with message
/// size limits, one requiring an API key, one on TLS with a self-signed certificate made here.
/// Exposes them as the LAIT_INTEROP_* settings both suites read.
/// </summary>
public abstract class EchoServers : IAsyncLifetime
{
    public const int MaxReceiveBytes = 1024 * 1024;
    public const int MaxSendBytes = 1024 * 1024;
    public const string ApiKey = "interop-key-3f9c";
    private const string TlsPassword = "interop-tls-pw";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "lait-interop-" + Guid.NewGuid().ToString("N"));
    private readonly List<EchoServerProcess> _servers = [];

    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    /// <summary>Why the servers could not start (reported by every test instead of a fixture crash).</summary>
    public string? StartError { get; private set; }

    protected abstract string ServerName { get; }

    /// <summary>The program and the arguments before the CLI flags.</summary>
    protected abstract (string FileName, string[] Prefix) ServerCommand();

    public async Task InitializeAsync()
    {
        try
        {
            Directory.CreateDirectory(_folder);
            (string pfx, string pem) = CreateCertificate(_folder);
            (string fileName, string[] prefix) = ServerCommand();
            EchoServerProcess plain = await StartAsync("plain", fileName, prefix,
                ["--max-receive-bytes", $"{MaxReceiveBytes}", "--max-send-bytes", $"{MaxSendBytes}"]);
            EchoServerProcess auth = await StartAsync("api-key", fileName, prefix, ["--api-key", ApiKey]);
            EchoServerProcess tls = await StartAsync("tls", fileName, prefix, ["--tls-cert", pfx, "--tls-password", TlsPassword]);
            Environment = new Dictionary<string, string>
            {
                ["LAIT_INTEROP_TARGET"] = plain.Address,
                ["LAIT_INTEROP_MAX_RECEIVE_BYTES"] = $"{MaxReceiveBytes}",
                ["LAIT_INTEROP_MAX_SEND_BYTES"] = $"{MaxSendBytes}",
                ["LAIT_INTEROP_AUTH_TARGET"] = auth.Address,
                ["LAIT_INTEROP_API_KEY"] = ApiKey,
                ["LAIT_INTEROP_TLS_TARGET"] = tls.Address,
                ["LAIT_INTEROP_TLS_ROOT"] = pem,
            };
        }
        catch (Exception ex)
        {
            StartError = ex.ToString();
        }
    }

    public Task DisposeAsync()
    {
        foreach (EchoServerProcess server in _servers)
        {
            server.Dispose();
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    /// <summary>Each server's recent output, plus whether it died, for a failure message.</summary>
    public string ServerLogs() => string.Join("\n", _servers.Select(s =>
        $"--- {ServerName} server '{s.Name}' at {s.Address}{(s.HasExited ? " (EXITED)" : "")} ---\n{s.LogTail()}"));

    private async Task<EchoServerProcess> StartAsync(string name, string fileName, string[] prefix, string[] arguments)
    {
        EchoServerProcess server = await EchoServerProcess.StartAsync($"{ServerName}/{name}", fileName, prefix, arguments);
        _servers.Add(server);
        return server;
    }

    /// <summary>A self-signed server certificate for localhost and 127.0.0.1: PFX for the server, PEM for the clients.</summary>
    private static (string Pfx, string Pem) CreateCertificate(string folder)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        string pfx = Path.Combine(folder, "server.pfx");
        string pem = Path.Combine(folder, "server.pem");
        File.WriteAllBytes(pfx, certificate.Export(X509ContentType.Pfx, TlsPassword));
        File.WriteAllText(pem, certificate.ExportCertificatePem());
        return (pfx, pem);
    }
}

/// <summary>The C# server under test: tests/Lait.Interop.EchoServer on Grpc.AspNetCore.</summary>
public sealed class CSharpEchoServers : EchoServers
{
    protected override string ServerName => "C#";

    protected override (string FileName, string[] Prefix) ServerCommand()
    {
        string dll = RepoPaths.EchoServerDll();
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"EchoServer not built at {dll}: build tests/Lait.Interop.Tests (it builds the server)");
        }

        return ("dotnet", [dll]);
    }
}

/// <summary>The grpcio reference server (tests/interop/python/reference_echo_server.py).</summary>
public sealed class ReferenceEchoServers : EchoServers
{
    protected override string ServerName => "reference";

    protected override (string FileName, string[] Prefix) ServerCommand()
    {
        InteropSuites.RequirePython();
        return (InteropSuites.Python, [Path.Combine(RepoPaths.InteropDir, "python", "reference_echo_server.py")]);
    }
}

[CollectionDefinition(Name)]
public sealed class CSharpServerCollection : ICollectionFixture<CSharpEchoServers>
{
    public const string Name = "C# echo servers";
}
