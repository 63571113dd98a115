using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Lait.Grpc.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lait.Transport;

/// <summary>
/// The state of one gRPC call on one HTTP/2 stream: reads framed request messages, writes framed
/// responses, and ends the call with a status (in trailers, or Trailers-Only when nothing was sent).
/// </summary>
internal sealed class GrpcCall : IDisposable
{
    private readonly GrpcServerOptions _options;
    private readonly CompressionProviders _providers;
    private readonly ILogger _logger;
    // Serializes message writes and the final status, so a deadline firing mid-write cannot
    // interleave trailers with a message.
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _callCts;
    private CancellationTokenSource? _deadlineCts;
    private ICompressionProvider? _requestCompression;
    private ICompressionProvider? _responseCompression;
    // Our own record of what went out: Response.HasStarted stays false until a flush.
    private bool _headersSent;
    private bool _completed;
    private volatile bool _transportFailed;

    public GrpcCall(HttpContext httpContext, GrpcServerOptions options, CompressionProviders providers, ILogger logger)
    {
        HttpContext = httpContext;
        _options = options;
        _providers = providers;
        _logger = logger;
        _callCts = CancellationTokenSource.CreateLinkedTokenSource(httpContext.RequestAborted);
    }

    public HttpContext HttpContext { get; }

    public ServerCallContext? Context { get; set; }

    public string? ResponseCompressionOverride { get; set; }

    public CancellationToken CancellationToken => _callCts.Token;

    public bool DeadlineExceeded => _deadlineCts?.IsCancellationRequested == true;

    public bool ClientAborted => _transportFailed || HttpContext.RequestAborted.IsCancellationRequested;

    public bool IsCompleted => _completed;

    public string Peer
    {
        get
        {
            var connection = HttpContext.Connection;
            if (connection.RemoteIpAddress is null)
            {
                return "unknown";
            }

            return connection.RemoteIpAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                ? $"ipv6:[{connection.RemoteIpAddress}]:{connection.RemotePort}"
                : $"ipv4:{connection.RemoteIpAddress}:{connection.RemotePort}";
        }
    }

    /// <summary>Sets the decoder for compressed request messages (from grpc-encoding).</summary>
    public void SetRequestCompression(ICompressionProvider? provider) => _requestCompression = provider;

    /// <summary>Starts the deadline timer: at expiry the token fires and <paramref name="onExpired"/> runs.</summary>
    public void StartDeadline(TimeSpan timeout, Action onExpired)
    {
        _deadlineCts = new CancellationTokenSource();
        _deadlineCts.Token.Register(() =>
        {
            try
            {
                _callCts.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }

            onExpired();
        });
        _deadlineCts.CancelAfter(timeout);
    }

    /// <summary>
    /// Reads the next request message; null at the end of the request stream.
    /// </summary>
    public async Task<T?> ReadMessageAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken)
        where T : class, IMessage<T>
    {
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled && cancellationToken != _callCts.Token
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callCts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _callCts.Token;
        PipeReader reader = HttpContext.Request.BodyReader;
        while (true)
        {
            ReadResult result;
            try
            {
                result = await reader.ReadAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Kestrel reports a client RST_STREAM or a lost connection as an error on read,
                // sometimes before RequestAborted fires: fire the handler's token ourselves.
                throw OnTransportFailure(ex);
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            if (TryReadFrame(buffer, out bool compressed, out ReadOnlySequence<byte> payload, out SequencePosition end))
            {
                T message;
                try
                {
                    message = ParseMessage(parser, payload, compressed);
                }
                finally
                {
                    reader.AdvanceTo(end);
                }

                return message;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                long remaining = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (remaining == 0)
                {
                    return null;
                }

                throw new RpcException(StatusCode.Internal, "incomplete message: the request stream ended inside a message");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads the one request of a unary or server-streaming call.</summary>
    public async Task<T> ReadSingleRequestAsync<T>(MessageParser<T> parser)
        where T : class, IMessage<T>
    {
        T? message = await ReadMessageAsync(parser, default).ConfigureAwait(false)
            ?? throw new RpcException(StatusCode.Internal, "missing request message");
        T? extra = await ReadMessageAsync(parser, default).ConfigureAwait(false);
        if (extra is not null)
        {
            throw new RpcException(StatusCode.Internal, "more than one request message for a single-request method");
        }

        return message;
    }

    /// <summary>Sends the response headers now if not yet sent.</summary>
    public async Task WriteResponseHeadersAsync()
    {
        await _writeLock.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            if (!_headersSent)
            {
                PrepareResponseHeaders(includeCompression: true);
                _headersSent = true;
                await HttpContext.Response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Frames, optionally compresses, writes and flushes one response message.</summary>
    public async Task WriteMessageAsync(IMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled && cancellationToken != _callCts.Token
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _callCts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _callCts.Token;
        await _writeLock.WaitAsync(token).ConfigureAwait(false);
        try
        {
            ThrowIfCompleted();
            int size = message.CalculateSize();
            if (size > _options.MaxSendMessageSize)
            {
                throw new RpcException(StatusCode.ResourceExhausted,
                    $"response message larger than max ({size} vs. {_options.MaxSendMessageSize})");
            }

            if (!_headersSent)
            {
                PrepareResponseHeaders(includeCompression: true);
                _headersSent = true;
            }

            PipeWriter writer = HttpContext.Response.BodyWriter;
            if (_responseCompression is not null)
            {
                byte[] compressed = _responseCompression.Compress(message.ToByteArray());
                WriteFrame(writer, compressed, compressed: true);
            }
            else if (size <= 64 * 1024)
            {
                Span<byte> span = writer.GetSpan(MessageFraming.PrefixLength + size);
                MessageFraming.WritePrefix(span, compressed: false, size);
                message.WriteTo(span.Slice(MessageFraming.PrefixLength, size));
                writer.Advance(MessageFraming.PrefixLength + size);
            }
            else
            {
                WriteFrame(writer, message.ToByteArray(), compressed: false);
            }

            FlushResult flush = await writer.FlushAsync(token).ConfigureAwait(false);
            if (flush.IsCanceled || flush.IsCompleted)
            {
                token.ThrowIfCancellationRequested();
                // The stream is gone (reset or connection closed) although no token has fired yet.
                throw OnTransportFailure(null);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
            throw OnTransportFailure(ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Ends the call with a status: trailers after messages, or Trailers-Only (status in the
    /// headers) when nothing was sent yet. Only the first call has an effect.
    /// </summary>
    public async Task CompleteAsync(Status status, Metadata? extraTrailers)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (ClientAborted)
            {
                return;
            }

            HttpResponse response = HttpContext.Response;
            string? message = string.IsNullOrEmpty(status.Detail) ? null : GrpcMessageEncoding.Encode(status.Detail);
            string code = ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!_headersSent)
            {
                PrepareResponseHeaders(includeCompression: false);
                AppendHeaders(response.Headers, Context?.ResponseTrailers);
                AppendHeaders(response.Headers, extraTrailers);
                response.Headers[GrpcProtocol.StatusHeader] = code;
                if (message is not null)
                {
                    response.Headers[GrpcProtocol.MessageHeader] = message;
                }
            }
            else
            {
                AppendTrailers(response, Context?.ResponseTrailers);
                AppendTrailers(response, extraTrailers);
                response.AppendTrailer(GrpcProtocol.StatusHeader, code);
                if (message is not null)
                {
                    response.AppendTrailer(GrpcProtocol.MessageHeader, message);
                }
            }

            _headersSent = true;
            await response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            _logger.LogDebug(ex, "could not send the status of {Path}", HttpContext.Request.Path);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The client is gone: fire the call's token (the handler must see it) and say CANCELLED.</summary>
    private RpcException OnTransportFailure(Exception? ex)
    {
        _transportFailed = true;
        try
        {
            _callCts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        return new RpcException(new Status(StatusCode.Cancelled, "the client cancelled the call"), new Metadata(), ex);
    }

    public void Dispose()
    {
        _deadlineCts?.Dispose();
        _callCts.Dispose();
    }

    private bool TryReadFrame(ReadOnlySequence<byte> buffer, out bool compressed, out ReadOnlySequence<byte> payload, out SequencePosition end)
    {
        compressed = false;
        payload = default;
        end = default;
        if (buffer.Length < MessageFraming.PrefixLength)
        {
            return false;
        }

        Span<byte> prefix = stackalloc byte[MessageFraming.PrefixLength];
        buffer.Slice(0, MessageFraming.PrefixLength).CopyTo(prefix);
        (compressed, uint length) = MessageFraming.ReadPrefix(prefix);
        // The limit is checked on the declared length, before waiting for (or buffering) the body.
        // Compressed messages are checked again after decompression.
        if (length > (uint)_options.MaxReceiveMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"request message larger than max ({length} vs. {_options.MaxReceiveMessageSize})");
        }

        if (buffer.Length < MessageFraming.PrefixLength + length)
        {
            return false;
        }

        payload = buffer.Slice(MessageFraming.PrefixLength, length);
        end = payload.End;
        return true;
    }

    private T ParseMessage<T>(MessageParser<T> parser, ReadOnlySequence<byte> payload, bool compressed)
        where T : class, IMessage<T>
    {
        try
        {
            if (!compressed)
            {
                return parser.ParseFrom(payload);
            }

            if (_requestCompression is null)
            {
                throw new RpcException(StatusCode.Internal,
                    "request message is compressed but the call has no grpc-encoding");
            }

            byte[] data = _requestCompression.Decompress(payload.ToArray(), _options.MaxReceiveMessageSize);
            return parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new RpcException(new Status(StatusCode.Internal, "failed to deserialize request"), new Metadata(), ex);
        }
    }

    private static void WriteFrame(PipeWriter writer, byte[] payload, bool compressed)
    {
        Span<byte> prefix = writer.GetSpan(MessageFraming.PrefixLength);
        MessageFraming.WritePrefix(prefix, compressed, payload.Length);
        writer.Advance(MessageFraming.PrefixLength);
        writer.Write(payload);
    }

    private void PrepareResponseHeaders(bool includeCompression)
    {
        HttpResponse response = HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        response.Headers[GrpcProtocol.AcceptEncodingHeader] = _providers.AcceptEncoding;
        if (includeCompression)
        {
            _responseCompression = ChooseResponseCompression();
            if (_responseCompression is not null)
            {
                response.Headers[GrpcProtocol.EncodingHeader] = _responseCompression.EncodingName;
            }
        }

        AppendHeaders(response.Headers, Context?.ResponseHeaders);
    }

    private ICompressionProvider? ChooseResponseCompression()
    {
        string? name = ResponseCompressionOverride ?? _options.ResponseCompression ?? _requestCompression?.EncodingName;
        if (name is null || name == GrpcProtocol.IdentityEncoding || !_providers.TryGet(name, out ICompressionProvider provider))
        {
            return null;
        }

        string? accepted = HttpContext.Request.Headers[GrpcProtocol.AcceptEncodingHeader];
        return CompressionProviders.AcceptsEncoding(accepted, name) ? provider : null;
    }

    private static void AppendHeaders(IHeaderDictionary headers, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (Metadata.Entry entry in metadata)
        {
            headers.Append(entry.Key, entry.WireValue);
        }
    }

    private static void AppendTrailers(HttpResponse response, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (Metadata.Entry entry in metadata)
        {
            response.AppendTrailer(entry.Key, entry.WireValue);
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("the call has already completed");
        }
    }
}
