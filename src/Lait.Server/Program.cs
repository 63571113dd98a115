using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Lait.Protos.V1;
using Lait.Server.Hosting;
using Lait.Transport;
using Lait.Transport.Auth;
using Lait.Transport.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

// The LaitGrpc host. For now lait.v1.Lait is registered with every method answering
// UNIMPLEMENTED, and health reports it NOT_SERVING; the service issue fills it in.
IConfiguration configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
    .Build();
ServerSettings settings = ServerSettings.Load(args, configuration);

await using GrpcServerHost host = GrpcServerHost.Create(
    settings.ToEndpoint(),
    options =>
    {
        if (settings.ApiKeys.Count > 0)
        {
            options.Interceptors.Add(new ApiKeyInterceptor(settings.ApiKeys));
        }
    },
    builder =>
    {
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        // Per-request lines from ASP.NET Core would drown the log of a busy gRPC server.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    });

const string laitService = "lait.v1.Lait";
host.Registry.Add(ServiceDefinition
    .CreateBuilder(LaitReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Lait"))
    .WithUnimplementedMessage("not implemented yet")
    .Build());
host.Health.SetStatus("", ServingStatus.NotServing);
host.Health.SetStatus(laitService, ServingStatus.NotServing);

await host.StartAsync();
ILogger logger = host.App.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Lait.Server");
logger.LogInformation("LaitGrpc listening on {Address} (auth: {Auth})", host.Address,
    settings.ApiKeys.Count > 0 ? $"{settings.ApiKeys.Count} API key(s)" : "none");
await host.App.WaitForShutdownAsync();
host.Health.SetAllNotServing();
return 0;
