namespace Lait.Grpc.Wire;

/// <summary>
/// A call that ended with a non-OK status. Thrown by server handlers to end a call with that status,
/// and by the client when the server (or the transport) ended the call with one.
/// </summary>
public class RpcException : Exception
{
    public RpcException(Status status)
        : this(status, new Metadata(), null)
    {
    }

    public RpcException(StatusCode code, string detail)
        : this(new Status(code, detail), new Metadata(), null)
    {
    }

    public RpcException(Status status, Metadata trailers, Exception? innerException = null)
        : base(status.ToString(), innerException)
    {
        Status = status;
        Trailers = trailers;
    }

    public Status Status { get; }

    public StatusCode StatusCode => Status.StatusCode;

    /// <summary>Trailers sent with the status (server side: added to the response trailers).</summary>
    public Metadata Trailers { get; }
}
