using System.Net;
using Google.Protobuf;
using Lait.Grpc.Wire;

namespace Lait.Client;

/// <summary>
/// A connection to a gRPC server over HttpClient HTTP/2: h2c for "http://" addresses (HTTP/2 with
/// prior knowledge), TLS with ALPN for "https://". Thread-safe; share one per server.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpClient _httpClient;

    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        Address = address;
        Options = options;
        Compression = new CompressionProviders(options.CompressionProviders);
        HttpMessageHandler handler = options.HttpHandler ?? CreateHandler(options);
        _httpClient = new HttpClient(handler, options.HttpHandler is null || options.DisposeHttpHandler)
        {
            BaseAddress = address,
            DefaultRequestVersion = HttpVersion.Version20,
            // Exact: never fall back to HTTP/1.1, which cannot carry gRPC (no trailers).
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Uri Address { get; }

    public GrpcChannelOptions Options { get; }

    internal CompressionProviders Compression { get; }

    internal HttpClient HttpClient => _httpClient;

    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) =>
        ForAddress(new Uri(address), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null) =>
        new(address, options ?? new GrpcChannelOptions());

    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options ?? CallOptions.Default);
        call.StartWithSingleRequest(request);
        return new AsyncUnaryCall<TResponse>(call.ReadSingleResponseAsync(), call);
    }

    /// <summary>Unary call, returning just the response (throws <see cref="RpcException"/>).</summary>
    public Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        AsyncUnaryCall(method, request, options).ResponseAsync;

    public AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options ?? CallOptions.Default);
        call.StartWithSingleRequest(request);
        return new AsyncServerStreamingCall<TResponse>(call);
    }

    public AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options ?? CallOptions.Default);
        call.StartStreaming();
        return new AsyncClientStreamingCall<TRequest, TResponse>(call, call.ReadSingleResponseAsync());
    }

    public AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, CallOptions? options = null)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = new ClientCall<TRequest, TResponse>(this, method, options ?? CallOptions.Default);
        call.StartStreaming();
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call);
    }

    public void Dispose() => _httpClient.Dispose();

    private static SocketsHttpHandler CreateHandler(GrpcChannelOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
        };
        if (options.ServerCertificateValidation is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = options.ServerCertificateValidation;
        }

        return handler;
    }
}
