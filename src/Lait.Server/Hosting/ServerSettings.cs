using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Lait.Server.Hosting;

/// <summary>
/// Where the server listens and who may call it. Sources, later wins: appsettings.json (section
/// "Lait"), environment (LAIT_PORT, LAIT_HOST, LAIT_API_KEYS comma-separated, LAIT_TLS_CERT,
/// LAIT_TLS_PASSWORD, LAIT_TLS_KEY), command line (--port, --host, --api-key repeatable,
/// --tls-cert, --tls-password, --tls-key).
/// </summary>
public sealed class ServerSettings
{
    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = GrpcEndpointOptions.DefaultPort;

    public List<string> ApiKeys { get; } = new();

    public string? TlsCertificatePath { get; set; }

    public string? TlsCertificatePassword { get; set; }

    public string? TlsKeyPath { get; set; }

    /// <summary>Arguments this class did not consume (for later settings of the service).</summary>
    public List<string> RemainingArgs { get; } = new();

    public static ServerSettings Load(string[] args, IConfiguration configuration)
    {
        var settings = new ServerSettings();
        IConfigurationSection section = configuration.GetSection("Lait");
        settings.Host = section["Host"] ?? settings.Host;
        if (section["Port"] is string port)
        {
            settings.Port = ParsePort(port);
        }

        settings.ApiKeys.AddRange(section.GetSection("ApiKeys").GetChildren().Select(c => c.Value).OfType<string>());
        settings.TlsCertificatePath = section["TlsCertificate"] ?? settings.TlsCertificatePath;
        settings.TlsCertificatePassword = section["TlsPassword"] ?? settings.TlsCertificatePassword;
        settings.TlsKeyPath = section["TlsKey"] ?? settings.TlsKeyPath;

        settings.Host = Environment.GetEnvironmentVariable("LAIT_HOST") ?? settings.Host;
        if (Environment.GetEnvironmentVariable("LAIT_PORT") is { Length: > 0 } envPort)
        {
            settings.Port = ParsePort(envPort);
        }

        if (Environment.GetEnvironmentVariable("LAIT_API_KEYS") is { Length: > 0 } envKeys)
        {
            settings.ApiKeys.Clear();
            settings.ApiKeys.AddRange(envKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        settings.TlsCertificatePath = Environment.GetEnvironmentVariable("LAIT_TLS_CERT") ?? settings.TlsCertificatePath;
        settings.TlsCertificatePassword = Environment.GetEnvironmentVariable("LAIT_TLS_PASSWORD") ?? settings.TlsCertificatePassword;
        settings.TlsKeyPath = Environment.GetEnvironmentVariable("LAIT_TLS_KEY") ?? settings.TlsKeyPath;

        bool keysFromCommandLine = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--port": settings.Port = ParsePort(Value()); break;
                case "--host": settings.Host = Value(); break;
                case "--api-key":
                    if (!keysFromCommandLine)
                    {
                        settings.ApiKeys.Clear();
                        keysFromCommandLine = true;
                    }

                    settings.ApiKeys.Add(Value());
                    break;
                case "--tls-cert": settings.TlsCertificatePath = Value(); break;
                case "--tls-password": settings.TlsCertificatePassword = Value(); break;
                case "--tls-key": settings.TlsKeyPath = Value(); break;
                default: settings.RemainingArgs.Add(arg); break;
            }
        }

        return settings;
    }

    public GrpcEndpointOptions ToEndpoint() => new()
    {
        Host = Host,
        Port = Port,
        TlsCertificatePath = TlsCertificatePath,
        TlsCertificatePassword = TlsCertificatePassword,
        TlsKeyPath = TlsKeyPath,
    };

    private static int ParsePort(string value)
    {
        int port = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
        if (port > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"port {port} is out of range");
        }

        return port;
    }
}
