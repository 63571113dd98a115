using Grpc.Core;
using Lait.Server.Batching;
using Lait.Server.Models;
using Lait.Store;

namespace Lait.Server.Interceptors;

/// <summary>
/// Turns the exceptions of requests, the engine, the store and the batcher into gRPC statuses with
/// messages a user can act on. Anything not listed here is a bug and stays INTERNAL
/// (<see cref="ErrorInterceptor"/> logs it).
/// </summary>
public static class StatusMapping
{
    public static bool TryMap(Exception exception, out Status status)
    {
        status = exception switch
        {
            RpcException rpc => rpc.Status,
            RequestException r => new Status(r.StatusCode, r.Message),
            ModelInputException m when m.ExceedsLimit => new Status(StatusCode.ResourceExhausted, m.Message),
            ModelInputException m => new Status(StatusCode.InvalidArgument, m.Message),
            StoreCorruptionException c => new Status(StatusCode.DataLoss,
                $"stored state of segment {c.Id} failed validation ({c.Reason}); re-encode the segment"),
            StoreUnavailableException u => new Status(StatusCode.Unavailable, $"segment store unavailable: {u.Message}"),
            StoreFullException f => new Status(StatusCode.ResourceExhausted, $"segment store full: {f.Message}"),
            BatchQueueFullException q => new Status(StatusCode.ResourceExhausted, q.Message),
            _ => default,
        };
        return exception is RpcException or RequestException or ModelInputException or StoreCorruptionException
            or StoreUnavailableException or StoreFullException or BatchQueueFullException;
    }
}
