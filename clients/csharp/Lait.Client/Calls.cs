using System.Runtime.CompilerServices;
using Google.Protobuf;
using Lait.Grpc.Wire;

namespace Lait.Client;

/// <summary>What every call exposes once it has (or has not yet) finished.</summary>
public abstract class CallBase : IDisposable
{
    private protected CallBase(IClientCall call)
    {
        Call = call;
    }

    private protected IClientCall Call { get; }

    /// <summary>The response headers (in a Trailers-Only response: the headers that carried the status).</summary>
    public Task<Metadata> ResponseHeadersAsync => Call.ResponseHeadersAsync;

    /// <summary>The status; throws until the call has finished.</summary>
    public Status GetStatus() => Call.GetStatus();

    /// <summary>The trailers (custom entries; grpc-status and grpc-message excluded); throws until the call has finished.</summary>
    public Metadata GetTrailers() => Call.GetTrailers();

    /// <summary>Cancels the call if it is still running and frees its resources.</summary>
    public void Dispose()
    {
        Call.Dispose();
        GC.SuppressFinalize(this);
    }
}

public sealed class AsyncUnaryCall<TResponse> : CallBase
{
    internal AsyncUnaryCall(Task<TResponse> response, IClientCall call)
        : base(call)
    {
        ResponseAsync = response;
    }

    public Task<TResponse> ResponseAsync { get; }

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

public sealed class AsyncServerStreamingCall<TResponse> : CallBase
{
    internal AsyncServerStreamingCall(IAsyncStreamReader<TResponse> responses)
        : base((IClientCall)responses)
    {
        ResponseStream = responses;
    }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }
}

public sealed class AsyncClientStreamingCall<TRequest, TResponse> : CallBase
{
    internal AsyncClientStreamingCall(IClientStreamWriter<TRequest> requests, Task<TResponse> response)
        : base((IClientCall)requests)
    {
        RequestStream = requests;
        ResponseAsync = response;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public Task<TResponse> ResponseAsync { get; }

    public TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();
}

public sealed class AsyncDuplexStreamingCall<TRequest, TResponse> : CallBase
{
    internal AsyncDuplexStreamingCall(object call)
        : base((IClientCall)call)
    {
        RequestStream = (IClientStreamWriter<TRequest>)call;
        ResponseStream = (IAsyncStreamReader<TResponse>)call;
    }

    public IClientStreamWriter<TRequest> RequestStream { get; }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }
}

/// <summary>The request stream of a client-streaming or duplex call.</summary>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>Half-closes the request stream (END_STREAM): no more messages.</summary>
    Task CompleteAsync();
}

internal interface IClientCall : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    Status GetStatus();

    Metadata GetTrailers();
}

internal static class MessageExtensions
{
    public static TMessage ParseMessage<TMessage>(this MessageParser<TMessage> parser, byte[] data)
        where TMessage : IMessage<TMessage>
    {
        try
        {
            return parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "failed to deserialize response message"), new Metadata(), ex);
        }
    }
}
