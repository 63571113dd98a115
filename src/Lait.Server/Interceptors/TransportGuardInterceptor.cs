using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Lait.Server.Health;
using Microsoft.AspNetCore.Http;

namespace Lait.Server.Interceptors;

/// <summary>Transport-level bounds that grpc.health.v1 and the client-streaming calls need (issue 17, items 5-7).</summary>
public sealed class TransportLimits
{
    /// <summary>Longest health service name accepted (characters); longer is INVALID_ARGUMENT, never stored or echoed.</summary>
    public const int MaxHealthServiceNameChars = 200;

    /// <summary>Largest grpc.health.v1 request message; a bigger one is RESOURCE_EXHAUSTED from its length prefix, before it is buffered.</summary>
    public const int MaxHealthRequestBytes = 1024;

    /// <summary>Open health Watch streams on the whole server; more are RESOURCE_EXHAUSTED.</summary>
    public int MaxHealthWatches { get; set; } = 64;

    /// <summary>Open health Watch streams on one connection; more are RESOURCE_EXHAUSTED.</summary>
    public int MaxHealthWatchesPerConnection { get; set; } = 4;

    /// <summary>A client or bidi stream that sends no message for this long is ended (DEADLINE_EXCEEDED) and its slot freed.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Bounds what a caller can hold open: health Watch streams (health needs no API key, so this is
/// what an unauthenticated caller can reach), service names on health calls, and client/bidi
/// streams that stop sending. Runs outside the API-key check so that its limits also hold for
/// callers without a key.
/// </summary>
public sealed class TransportGuardInterceptor(TransportLimits limits) : Interceptor
{
    private const string HealthPrefix = "/grpc.health.v1.Health/";

    private readonly ConcurrentDictionary<string, int> _watchesPerConnection = new(StringComparer.Ordinal);
    private int _watches;

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (request is HealthCheckRequest health) CheckServiceName(health.Service);
        return continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (request is not HealthCheckRequest health || !context.Method.StartsWith(HealthPrefix, StringComparison.Ordinal))
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return;
        }
        CheckServiceName(health.Service);
        if (!ServingState.ReportedServices.Contains(health.Service))
        {
            // The set of services is fixed for the life of the process: an unknown one never becomes
            // known, so the stream answers once and ends instead of holding the name.
            if (responseStream is IServerStreamWriter<HealthCheckResponse> writer)
            {
                await writer.WriteAsync(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.ServiceUnknown }).ConfigureAwait(false);
            }
            return;
        }
        string connection = context.GetHttpContext().Connection.Id;
        int onConnection = _watchesPerConnection.AddOrUpdate(connection, 1, (_, n) => n + 1);
        int total = Interlocked.Increment(ref _watches);
        try
        {
            if (onConnection > limits.MaxHealthWatchesPerConnection)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"too many open health Watch streams on this connection (limit {limits.MaxHealthWatchesPerConnection}); close one or poll with Check"));
            }
            if (total > limits.MaxHealthWatches)
            {
                throw new RpcException(new Status(StatusCode.ResourceExhausted,
                    $"too many open health Watch streams on this server (limit {limits.MaxHealthWatches}); close one or poll with Check"));
            }
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _watches);
            // The entry goes when it reaches zero, so that closed connections leave nothing behind.
            if (_watchesPerConnection.AddOrUpdate(connection, 0, (_, n) => n - 1) <= 0)
            {
                _watchesPerConnection.TryRemove(KeyValuePair.Create(connection, 0));
            }
        }
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new IdleBoundedReader<TRequest>(requestStream, limits.StreamIdleTimeout), context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        continuation(new IdleBoundedReader<TRequest>(requestStream, limits.StreamIdleTimeout), responseStream, context);

    /// <summary>Number of open Watch streams (for tests and metrics).</summary>
    public int OpenWatches => Volatile.Read(ref _watches);

    private static void CheckServiceName(string service)
    {
        if (service.Length > TransportLimits.MaxHealthServiceNameChars)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                $"health service name has {service.Length} characters, at most {TransportLimits.MaxHealthServiceNameChars} are accepted (served: \"\", \"lait.v1.Lait\")"));
        }
    }

    /// <summary>A request stream whose every read must complete within the idle timeout.</summary>
    private sealed class IdleBoundedReader<T>(IAsyncStreamReader<T> inner, TimeSpan idle) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(idle);
            try
            {
                return await inner.MoveNext(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new RpcException(new Status(StatusCode.DeadlineExceeded,
                    $"the stream sent no message for {idle.TotalSeconds:0.#} s and was ended (--stream-idle-seconds); send messages more often or open a new stream"));
            }
        }
    }
}
