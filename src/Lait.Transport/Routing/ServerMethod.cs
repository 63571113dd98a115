using Google.Protobuf;
using Google.Protobuf.Reflection;
using Lait.Grpc.Wire;

namespace Lait.Transport;

/// <summary>One routable method: its descriptor and how to run its handler on a call.</summary>
internal abstract class ServerMethod
{
    protected ServerMethod(MethodDescriptor descriptor)
    {
        Descriptor = descriptor;
        Path = "/" + descriptor.Service.FullName + "/" + descriptor.Name;
        Type = GetMethodType(descriptor);
    }

    public MethodDescriptor Descriptor { get; }

    /// <summary>"/package.Service/Method".</summary>
    public string Path { get; }

    public MethodType Type { get; }

    /// <summary>Runs the handler; throws to end the call with a non-OK status.</summary>
    public abstract Task InvokeAsync(GrpcCall call, ServerCallContext context);

    public static MethodType GetMethodType(MethodDescriptor descriptor) =>
        (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
}

/// <summary>A method registered without a handler: every call ends UNIMPLEMENTED.</summary>
internal sealed class UnimplementedServerMethod : ServerMethod
{
    private readonly string _message;

    public UnimplementedServerMethod(MethodDescriptor descriptor, string message)
        : base(descriptor)
    {
        _message = message;
    }

    public override Task InvokeAsync(GrpcCall call, ServerCallContext context) =>
        throw new RpcException(StatusCode.Unimplemented, _message);
}

internal sealed class TypedServerMethod<TRequest, TResponse> : ServerMethod
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly Delegate _handler;

    public TypedServerMethod(MethodDescriptor descriptor, Delegate handler)
        : base(descriptor)
    {
        _parser = (MessageParser<TRequest>)descriptor.InputType.Parser;
        _handler = handler;
    }

    public override async Task InvokeAsync(GrpcCall call, ServerCallContext context)
    {
        switch (Type)
        {
            case MethodType.Unary:
            {
                TRequest request = await call.ReadSingleRequestAsync(_parser).ConfigureAwait(false);
                TResponse response = await ((UnaryServerMethod<TRequest, TResponse>)_handler)(request, context).ConfigureAwait(false);
                await call.WriteMessageAsync(response, context.CancellationToken).ConfigureAwait(false);
                break;
            }

            case MethodType.ServerStreaming:
            {
                TRequest request = await call.ReadSingleRequestAsync(_parser).ConfigureAwait(false);
                var writer = new ResponseStreamWriter<TResponse>(call);
                await ((ServerStreamingServerMethod<TRequest, TResponse>)_handler)(request, writer, context).ConfigureAwait(false);
                break;
            }

            case MethodType.ClientStreaming:
            {
                var reader = new RequestStreamReader<TRequest>(call, _parser);
                TResponse response = await ((ClientStreamingServerMethod<TRequest, TResponse>)_handler)(reader, context).ConfigureAwait(false);
                await call.WriteMessageAsync(response, context.CancellationToken).ConfigureAwait(false);
                break;
            }

            case MethodType.DuplexStreaming:
            {
                var reader = new RequestStreamReader<TRequest>(call, _parser);
                var writer = new ResponseStreamWriter<TResponse>(call);
                await ((DuplexStreamingServerMethod<TRequest, TResponse>)_handler)(reader, writer, context).ConfigureAwait(false);
                break;
            }
        }
    }
}

internal sealed class RequestStreamReader<T> : IAsyncStreamReader<T>
    where T : class, IMessage<T>
{
    private readonly GrpcCall _call;
    private readonly MessageParser<T> _parser;
    private T? _current;

    public RequestStreamReader(GrpcCall call, MessageParser<T> parser)
    {
        _call = call;
        _parser = parser;
    }

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true");

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _current = await _call.ReadMessageAsync(_parser, cancellationToken).ConfigureAwait(false);
        return _current is not null;
    }
}

internal sealed class ResponseStreamWriter<T> : IAsyncStreamWriter<T>
    where T : class, IMessage<T>
{
    private readonly GrpcCall _call;

    public ResponseStreamWriter(GrpcCall call)
    {
        _call = call;
    }

    public Task WriteAsync(T message, CancellationToken cancellationToken = default) =>
        _call.WriteMessageAsync(message, cancellationToken);
}
