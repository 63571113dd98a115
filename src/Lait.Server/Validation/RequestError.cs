using Grpc.Core;
using Lait.Server.Interceptors;

namespace Lait.Server.Validation;

/// <summary>
/// The statuses the validators answer with, built in one place as <see cref="RequestException"/>s
/// (the caller's fault), each message capped by <see cref="ErrorText.Cap"/>.
/// </summary>
public static class RequestError
{
    /// <summary>INVALID_ARGUMENT: the request is malformed (unknown enum value, bad name, bad token).</summary>
    public static RequestException Invalid(string message) => new(ErrorText.Cap(message));

    /// <summary>RESOURCE_EXHAUSTED: the request is well-formed but over a limit.</summary>
    public static RequestException Exhausted(string message) => new(StatusCode.ResourceExhausted, ErrorText.Cap(message));

    /// <summary>The same status with its message capped; <paramref name="exception"/> itself when it is short enough.</summary>
    public static RpcException Capped(RpcException exception) =>
        ErrorText.IsTooLong(exception.Status.Detail)
            ? new RpcException(new Status(exception.StatusCode, ErrorText.Cap(exception.Status.Detail), exception), exception.Trailers)
            : exception;
}
