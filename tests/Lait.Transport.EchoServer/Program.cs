using System.Globalization;
using Lait.Transport;
using Lait.Transport.Auth;
using Lait.Transport.EchoServer;
using Lait.Transport.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

// Echo server for interop tests and benchmarks. CLI (other tests depend on it exactly):
//   dotnet Lait.Transport.EchoServer.dll --port 0 [--api-key KEY] [--max-receive-bytes N]
//       [--max-send-bytes N] [--tls-cert file.pfx --tls-password PW]
// Prints "LISTENING 127.0.0.1:<port>" once listening; serves until SIGTERM/SIGINT or stdin closes.
var endpoint = new GrpcEndpointOptions { Port = 0 };
var apiKeys = new List<string>();
int? maxReceive = null;
int? maxSend = null;
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port": endpoint.Port = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--host": endpoint.Host = Value(); break;
        case "--api-key": apiKeys.Add(Value()); break;
        case "--max-receive-bytes": maxReceive = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--max-send-bytes": maxSend = int.Parse(Value(), CultureInfo.InvariantCulture); break;
        case "--tls-cert": endpoint.TlsCertificatePath = Value(); break;
        case "--tls-password": endpoint.TlsCertificatePassword = Value(); break;
        case "--tls-key": endpoint.TlsKeyPath = Value(); break;
        default:
            Console.Error.WriteLine($"unknown argument: {args[i]}");
            return 2;
    }
}

await using GrpcServerHost host = GrpcServerHost.Create(
    endpoint,
    options =>
    {
        if (maxReceive is int r)
        {
            options.MaxReceiveMessageSize = r;
        }

        if (maxSend is int s)
        {
            options.MaxSendMessageSize = s;
        }

        if (apiKeys.Count > 0)
        {
            options.Interceptors.Add(new ApiKeyInterceptor(apiKeys));
        }
    },
    builder =>
    {
        // stdout carries only the LISTENING line; logs go to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
    });

var echo = new EchoService(host.Health);
host.Registry.Add(echo.CreateDefinition());
host.Health.SetStatus("", ServingStatus.Serving);
host.Health.SetStatus(EchoService.ServiceName, ServingStatus.Serving);

await host.StartAsync();
Console.Out.WriteLine($"LISTENING {endpoint.Host}:{host.Port}");
Console.Out.Flush();

StdinWatcher.StopWhenClosed(host.App.Lifetime);
await host.App.WaitForShutdownAsync();
return 0;
