using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Lait.Server.Interceptors;

/// <summary>
/// A server interceptor written once for every call type: <see cref="AroundAsync"/> wraps the whole
/// call (for streaming calls, until the handler returns). Throw <see cref="RpcException"/> from it to
/// end the call with that status without running the handler.
/// </summary>
public abstract class CallInterceptor : Interceptor
{
    /// <summary>Runs <paramref name="handler"/> (the rest of the pipeline) for the call in <paramref name="context"/>.</summary>
    protected abstract Task AroundAsync(ServerCallContext context, Func<Task> handler);

    public sealed override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        TResponse? response = null;
        await AroundAsync(context, async () => response = await continuation(request, context).ConfigureAwait(false)).ConfigureAwait(false);
        return response!;
    }

    public sealed override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        TResponse? response = null;
        await AroundAsync(context, async () => response = await continuation(requestStream, context).ConfigureAwait(false)).ConfigureAwait(false);
        return response!;
    }

    public sealed override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        AroundAsync(context, () => continuation(request, responseStream, context));

    public sealed override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        AroundAsync(context, () => continuation(requestStream, responseStream, context));
}
