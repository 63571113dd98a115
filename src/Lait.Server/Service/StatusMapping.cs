using Lait.Grpc.Wire;
using Lait.Server.Batching;
using Lait.Server.Models;
using Lait.Store;

namespace Lait.Server.Service;

/// <summary>
/// Turns the exceptions of the engine, the store and the batcher into gRPC statuses with messages a
/// user can act on. Anything not listed here is a bug and stays INTERNAL (the transport logs it).
/// </summary>
public static class StatusMapping
{
    public static bool TryMap(Exception exception, out Status status)
    {
        status = exception switch
        {
            RpcException rpc => rpc.Status,
            ModelInputException m when m.ExceedsLimit => new Status(StatusCode.ResourceExhausted, m.Message),
            ModelInputException m => new Status(StatusCode.InvalidArgument, m.Message),
            StoreCorruptionException c => new Status(StatusCode.DataLoss,
                $"stored state of segment {c.Id} failed validation ({c.Reason}); re-encode the segment"),
            StoreUnavailableException u => new Status(StatusCode.Unavailable, $"segment store unavailable: {u.Message}"),
            StoreFullException f => new Status(StatusCode.ResourceExhausted, $"segment store full: {f.Message}"),
            BatchQueueFullException q => new Status(StatusCode.ResourceExhausted, q.Message),
            ArgumentException a => new Status(StatusCode.InvalidArgument, a.Message),
            FormatException f => new Status(StatusCode.InvalidArgument, f.Message),
            _ => default,
        };
        return exception is RpcException or ModelInputException or StoreCorruptionException or StoreUnavailableException
            or StoreFullException or BatchQueueFullException or ArgumentException or FormatException;
    }

    /// <summary>Rethrows a mappable exception as <see cref="RpcException"/>; other exceptions pass unchanged.</summary>
    public static Exception ToRpc(Exception exception) =>
        exception is RpcException ? exception
        : TryMap(exception, out var status) ? new RpcException(status, new Metadata(), exception)
        : exception;
}
