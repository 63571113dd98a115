using Grpc.Core;

namespace Lait.Server.Interceptors;

/// <summary>
/// The caller's request is wrong (or asks for more than the server allows, or for something absent):
/// the only exception type a handler throws to blame the caller. The status is INVALID_ARGUMENT
/// unless said otherwise; the message names the field and the value and says what to do. Library
/// exceptions such as <see cref="ArgumentException"/> are never mapped to INVALID_ARGUMENT, so a
/// server bug is reported as INTERNAL, not as the caller's fault.
/// </summary>
public sealed class RequestException : Exception
{
    public RequestException(string message)
        : this(StatusCode.InvalidArgument, message)
    {
    }

    public RequestException(StatusCode code, string message)
        : base(message)
    {
        if (code is StatusCode.OK or StatusCode.Internal or StatusCode.Unknown)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "a request error cannot be OK, UNKNOWN or INTERNAL");
        }
        StatusCode = code;
    }

    public StatusCode StatusCode { get; }
}
