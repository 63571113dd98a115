using Lait.Grpc.Wire;

namespace Lait.Transport;

/// <summary>A unary handler: one request, one response.</summary>
public delegate Task<TResponse> UnaryServerMethod<TRequest, TResponse>(TRequest request, ServerCallContext context);

/// <summary>A server-streaming handler: one request, a stream of responses.</summary>
public delegate Task ServerStreamingServerMethod<TRequest, TResponse>(
    TRequest request, IAsyncStreamWriter<TResponse> responseStream, ServerCallContext context);

/// <summary>A client-streaming handler: a stream of requests, one response.</summary>
public delegate Task<TResponse> ClientStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, ServerCallContext context);

/// <summary>A bidirectional-streaming handler.</summary>
public delegate Task DuplexStreamingServerMethod<TRequest, TResponse>(
    IAsyncStreamReader<TRequest> requestStream, IAsyncStreamWriter<TResponse> responseStream, ServerCallContext context);
