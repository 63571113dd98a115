using Lait.Grpc.Wire;

namespace Lait.Server.Validation;

/// <summary>
/// The statuses the validators answer with, built in one place (the only file here that names the
/// transport's exception type), each message capped by <see cref="ErrorText.Cap"/>.
/// </summary>
public static class RequestError
{
    /// <summary>INVALID_ARGUMENT: the request is malformed (unknown enum value, bad name, bad token).</summary>
    public static RpcException Invalid(string message) => new(StatusCode.InvalidArgument, ErrorText.Cap(message));

    /// <summary>RESOURCE_EXHAUSTED: the request is well-formed but over a limit.</summary>
    public static RpcException Exhausted(string message) => new(StatusCode.ResourceExhausted, ErrorText.Cap(message));

    /// <summary>The same status with its message capped; <paramref name="exception"/> itself when it is short enough.</summary>
    public static RpcException Capped(RpcException exception) =>
        ErrorText.IsTooLong(exception.Status.Detail)
            ? new RpcException(new Status(exception.StatusCode, ErrorText.Cap(exception.Status.Detail)), exception.Trailers, exception)
            : exception;
}
