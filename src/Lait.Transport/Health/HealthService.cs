using System.Threading.Channels;
using Grpc.Health.V1;
using Lait.Grpc.Wire;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Transport.Health;

/// <summary>
/// grpc.health.v1.Health and the status registry behind it. Code that owns a service's readiness
/// calls <see cref="SetStatus"/>; Check answers NOT_FOUND for a name never set, Watch sends
/// SERVICE_UNKNOWN and then every change.
/// </summary>
public sealed class HealthService
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ServingStatus> _statuses = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Channel<ServingStatus>>> _watchers = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();

    public const string ServiceName = "grpc.health.v1.Health";

    /// <summary>Sets a service's status ("" = the server as a whole) and tells its watchers.</summary>
    public void SetStatus(string service, ServingStatus status)
    {
        ArgumentNullException.ThrowIfNull(service);
        lock (_lock)
        {
            _statuses[service] = status;
            Notify(service, status);
        }
    }

    /// <summary>Forgets a service: Check answers NOT_FOUND again and watchers see SERVICE_UNKNOWN.</summary>
    public void ClearStatus(string service)
    {
        lock (_lock)
        {
            if (_statuses.Remove(service))
            {
                Notify(service, ServingStatus.ServiceUnknown);
            }
        }
    }

    /// <summary>The status set for a service, or null when none was.</summary>
    public ServingStatus? GetStatus(string service)
    {
        lock (_lock)
        {
            return _statuses.TryGetValue(service, out ServingStatus status) ? status : null;
        }
    }

    /// <summary>Every service's status to NOT_SERVING (e.g. at shutdown).</summary>
    public void SetAllNotServing()
    {
        lock (_lock)
        {
            foreach (string service in _statuses.Keys.ToList())
            {
                _statuses[service] = ServingStatus.NotServing;
                Notify(service, ServingStatus.NotServing);
            }
        }
    }

    /// <summary>
    /// Server shutdown: every status becomes NOT_SERVING (watchers see it), then open Watch calls
    /// end UNAVAILABLE so that they do not hold the server's graceful shutdown open.
    /// </summary>
    public void Shutdown()
    {
        SetAllNotServing();
        _shutdown.Cancel();
    }

    public ServiceDefinition CreateDefinition() =>
        ServiceDefinition.CreateBuilder(HealthReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("Health"))
            .AddUnary<HealthCheckRequest, HealthCheckResponse>("Check", CheckAsync)
            .AddServerStreaming<HealthCheckRequest, HealthCheckResponse>("Watch", WatchAsync)
            .Build();

    private Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        ServingStatus? status = GetStatus(request.Service);
        if (status is null)
        {
            throw new RpcException(StatusCode.NotFound, $"unknown service '{request.Service}'");
        }

        return Task.FromResult(new HealthCheckResponse { Status = status.Value });
    }

    private async Task WatchAsync(HealthCheckRequest request, IAsyncStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        // Latest value wins: a slow watcher sees the newest status, not a backlog.
        var channel = Channel.CreateBounded<ServingStatus>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
        ServingStatus current;
        lock (_lock)
        {
            current = _statuses.TryGetValue(request.Service, out ServingStatus s) ? s : ServingStatus.ServiceUnknown;
            if (!_watchers.TryGetValue(request.Service, out List<Channel<ServingStatus>>? list))
            {
                list = new List<Channel<ServingStatus>>();
                _watchers[request.Service] = list;
            }

            list.Add(channel);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _shutdown.Token);
        try
        {
            await responses.WriteAsync(new HealthCheckResponse { Status = current }, context.CancellationToken).ConfigureAwait(false);
            ServingStatus lastSent = current;
            while (true)
            {
                ServingStatus next;
                try
                {
                    next = await channel.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
                {
                    // Send the last news (NOT_SERVING) before ending, if it has not gone out yet.
                    while (channel.Reader.TryRead(out ServingStatus last))
                    {
                        if (last != lastSent)
                        {
                            await responses.WriteAsync(new HealthCheckResponse { Status = last }, context.CancellationToken).ConfigureAwait(false);
                            lastSent = last;
                        }
                    }

                    throw new RpcException(StatusCode.Unavailable, "server shutting down");
                }

                if (next != lastSent)
                {
                    await responses.WriteAsync(new HealthCheckResponse { Status = next }, context.CancellationToken).ConfigureAwait(false);
                    lastSent = next;
                }
            }
        }
        finally
        {
            lock (_lock)
            {
                if (_watchers.TryGetValue(request.Service, out List<Channel<ServingStatus>>? list))
                {
                    list.Remove(channel);
                    if (list.Count == 0)
                    {
                        _watchers.Remove(request.Service);
                    }
                }
            }
        }
    }

    private void Notify(string service, ServingStatus status)
    {
        if (_watchers.TryGetValue(service, out List<Channel<ServingStatus>>? list))
        {
            foreach (Channel<ServingStatus> channel in list)
            {
                channel.Writer.TryWrite(status);
            }
        }
    }
}
