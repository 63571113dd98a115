using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Lait.Server.Hosting;

/// <summary>
/// `Lait.Server --probe`: one grpc.health.v1 Check against a running server, for container
/// HEALTHCHECKs and scripts. Exit code 0 when SERVING, 1 otherwise, 2 when unreachable.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string host, int port, string service, bool tls, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler(); // disposed with the channel
        if (tls) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true; // probing our own process
        string address = $"{(tls ? "https" : "http")}://{host}:{port}";
        using var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler });
        var client = new Grpc.Health.V1.Health.HealthClient(channel);
        try
        {
            var reply = await client.CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow + timeout).ConfigureAwait(false);
            Console.WriteLine(reply.Status);
            return reply.Status == HealthCheckResponse.Types.ServingStatus.Serving ? 0 : 1;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            Console.Error.WriteLine($"cannot reach {address}: {ex.Status.Detail}");
            return 2;
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine($"health check of '{service}' failed: {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
    }
}
