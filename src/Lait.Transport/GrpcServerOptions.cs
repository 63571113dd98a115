using Lait.Grpc.Wire;

namespace Lait.Transport;

/// <summary>Server-wide settings of the transport.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>Largest request message accepted (after decompression); larger → RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcProtocol.DefaultMaxReceiveMessageSize;

    /// <summary>Largest response message sent; larger → the call ends RESOURCE_EXHAUSTED. Default 4 MiB.</summary>
    public int MaxSendMessageSize { get; set; } = GrpcProtocol.DefaultMaxSendMessageSize;

    /// <summary>Compression algorithms the server can decode and use (gzip and deflate by default).</summary>
    public IList<ICompressionProvider> CompressionProviders { get; } = new List<ICompressionProvider> { GzipCompressionProvider.Instance, DeflateCompressionProvider.Instance };

    /// <summary>
    /// Encoding for every response the client accepts (e.g. "gzip"). When null (default), a call's
    /// responses are compressed only when its request was (with the same encoding) and the client
    /// accepts it, so a client that compresses gets compressed replies.
    /// </summary>
    public string? ResponseCompression { get; set; }

    /// <summary>Run, in order, around every handler (auth, logging, metrics).</summary>
    public IList<IServerInterceptor> Interceptors { get; } = new List<IServerInterceptor>();
}

/// <summary>
/// Runs around a call's handler. Call <c>next(context)</c> to continue, or throw
/// <see cref="RpcException"/> to end the call with that status without running the handler.
/// </summary>
public interface IServerInterceptor
{
    Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next);
}
