using Grpc.Health.V1;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Client;

/// <summary>grpc.health.v1.Health: Check and Watch.</summary>
public sealed class HealthClient
{
    private static readonly ServiceDescriptor Service = HealthReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Health");

    public static readonly Method<HealthCheckRequest, HealthCheckResponse> CheckMethod = Method<HealthCheckRequest, HealthCheckResponse>.Create(Service, "Check");
    public static readonly Method<HealthCheckRequest, HealthCheckResponse> WatchMethod = Method<HealthCheckRequest, HealthCheckResponse>.Create(Service, "Watch");

    public HealthClient(GrpcChannel channel)
    {
        Channel = channel;
    }

    public GrpcChannel Channel { get; }

    /// <summary>The service's status ("" = the server); RpcException NOT_FOUND for an unknown service.</summary>
    public async Task<ServingStatus> CheckAsync(string service = "", CallOptions? options = null)
    {
        HealthCheckResponse response = await Channel.UnaryAsync(CheckMethod, new HealthCheckRequest { Service = service }, options).ConfigureAwait(false);
        return response.Status;
    }

    /// <summary>The current status, then each change, until the call is cancelled or disposed.</summary>
    public AsyncServerStreamingCall<HealthCheckResponse> Watch(string service = "", CallOptions? options = null) =>
        Channel.AsyncServerStreamingCall(WatchMethod, new HealthCheckRequest { Service = service }, options);
}
