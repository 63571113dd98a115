using Grpc.Core;

namespace Lait.Server.Interceptors;

/// <summary>
/// Compresses a call's responses only when the caller compressed its request. The service options
/// name gzip as the response algorithm (so the stack announces and uses it for clients that accept
/// it); this interceptor turns compression off, per call, for every request that came uncompressed:
/// a client that does not compress (most do not) pays nothing, one that does gets gzip back.
/// </summary>
public sealed class ResponseCompressionInterceptor : CallInterceptor
{
    public const string Algorithm = "gzip";
    private static readonly WriteOptions Uncompressed = new(WriteFlags.NoCompress);

    protected override Task AroundAsync(ServerCallContext context, Func<Task> handler)
    {
        var request = context.GetHttpContext().Request;
        // JSON (transcoded) calls have no gRPC message compression, and their context refuses WriteOptions.
        if (request.ContentType is null || !request.ContentType.StartsWith("application/grpc", StringComparison.Ordinal))
        {
            return handler();
        }

        string? encoding = request.Headers["grpc-encoding"];
        if (encoding is null || encoding.Length == 0 || encoding == "identity")
        {
            context.WriteOptions = Uncompressed;
        }

        return handler();
    }
}
