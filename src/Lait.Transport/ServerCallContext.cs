using Lait.Grpc.Wire;
using Microsoft.AspNetCore.Http;

namespace Lait.Transport;

/// <summary>What a handler (or interceptor) knows about its call and can add to the response.</summary>
public sealed class ServerCallContext
{
    private readonly GrpcCall _call;

    internal ServerCallContext(GrpcCall call, ServerMethod method, Metadata requestHeaders, DateTime deadline)
    {
        _call = call;
        MethodDescriptor = method.Descriptor;
        Method = method.Path;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
    }

    /// <summary>The full method path, e.g. "/lait.v1.Lait/Combine".</summary>
    public string Method { get; }

    /// <summary>The service name, e.g. "lait.v1.Lait".</summary>
    public string ServiceName => MethodDescriptor.Service.FullName;

    /// <summary>The method name, e.g. "Combine".</summary>
    public string MethodName => MethodDescriptor.Name;

    public Google.Protobuf.Reflection.MethodDescriptor MethodDescriptor { get; }

    /// <summary>The peer address, e.g. "ipv4:127.0.0.1:54321".</summary>
    public string Peer => _call.Peer;

    /// <summary>Custom request headers (transport headers such as content-type and grpc-* excluded).</summary>
    public Metadata RequestHeaders { get; }

    /// <summary>Headers to send with the response; changes after the first message is written have no effect.</summary>
    public Metadata ResponseHeaders { get; } = new();

    /// <summary>Trailers to send with the status.</summary>
    public Metadata ResponseTrailers { get; } = new();

    /// <summary>The call's deadline (UTC); <see cref="DateTime.MaxValue"/> when the client set none.</summary>
    public DateTime Deadline { get; }

    /// <summary>Fires when the client cancels (RST_STREAM, disconnect) or the deadline passes.</summary>
    public CancellationToken CancellationToken => _call.CancellationToken;

    /// <summary>
    /// Compress responses of this call with this encoding (e.g. "gzip") if the client accepts it;
    /// null = the server default. Set before the first message is written.
    /// </summary>
    public string? ResponseCompression
    {
        get => _call.ResponseCompressionOverride;
        set => _call.ResponseCompressionOverride = value;
    }

    /// <summary>The underlying HTTP context (for the peer certificate, connection info and the like).</summary>
    public HttpContext HttpContext => _call.HttpContext;

    /// <summary>Values interceptors pass to handlers (e.g. the authenticated key's name).</summary>
    public IDictionary<object, object?> Items => _call.HttpContext.Items;

    /// <summary>Sends the response headers now (with <see cref="ResponseHeaders"/>), before any message.</summary>
    public Task WriteResponseHeadersAsync() => _call.WriteResponseHeadersAsync();
}
