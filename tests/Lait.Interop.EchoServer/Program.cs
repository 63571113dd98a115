using System.Globalization;
using Grpc.HealthCheck;
using Lait.Interop.EchoServer;
using Lait.Server.Hosting;
using Lait.Server.Interceptors;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

// Echo server for the interop tests. CLI (other tests depend on it exactly):
//   dotnet Lait.Interop.EchoServer.dll --port 0 [--api-key KEY] [--max-receive-bytes N]
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

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
// stdout carries only the LISTENING line; logs go to stderr.
builder.Logging.ClearProviders();
builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
var certificate = endpoint.LoadCertificate();
ListenOptions? bound = null;
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = null;
    kestrel.Listen(System.Net.IPAddress.Parse(endpoint.Host), endpoint.Port, listen =>
    {
        bound = listen;
        listen.Protocols = HttpProtocols.Http2;
        if (certificate is not null) listen.UseHttps(certificate);
    });
});
builder.Services.AddSingleton(new ApiKeys(apiKeys));
builder.Services.AddGrpc(options =>
{
    // The same interceptors, in the same order, as Lait.Server (metrics aside).
    options.Interceptors.Add<ApiKeyInterceptor>();
    options.Interceptors.Add<ErrorInterceptor>();
    options.Interceptors.Add<ResponseCompressionInterceptor>();
    options.ResponseCompressionAlgorithm = ResponseCompressionInterceptor.Algorithm;
    if (maxReceive is int r) options.MaxReceiveMessageSize = r;
    if (maxSend is int s) options.MaxSendMessageSize = s;
});
builder.Services.AddGrpcReflection();
var health = new HealthServiceImpl();
builder.Services.AddSingleton(health);
builder.Services.AddSingleton<EchoCounters>();

WebApplication app = builder.Build();
app.MapGrpcService<EchoService>();
app.MapGrpcService<HealthServiceImpl>();
app.MapGrpcReflectionService();
health.SetStatus("", ServingStatus.Serving);
health.SetStatus(EchoService.ServiceName, ServingStatus.Serving);
app.Lifetime.ApplicationStopping.Register(() =>
{
    health.SetStatus("", ServingStatus.NotServing);
    health.SetStatus(EchoService.ServiceName, ServingStatus.NotServing);
});

await app.StartAsync();
Console.Out.WriteLine($"LISTENING {endpoint.Host}:{bound!.IPEndPoint!.Port}");
Console.Out.Flush();

StdinWatcher.StopWhenClosed(app.Lifetime);
await app.WaitForShutdownAsync();
return 0;
