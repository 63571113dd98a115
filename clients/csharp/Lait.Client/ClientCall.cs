using System.Net.Http.Headers;
using Google.Protobuf;
using Lait.Grpc.Wire;

namespace Lait.Client;

/// <summary>
/// One call on the wire: sends the request (one message or a stream), reads response messages,
/// and turns the HTTP/2 outcome into a gRPC status (trailers, Trailers-Only, HTTP status, or
/// transport errors) — throwing <see cref="RpcException"/> for anything but OK.
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IClientCall, IClientStreamWriter<TRequest>, IAsyncStreamReader<TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _cts;
    private readonly CancellationTokenSource? _deadlineCts;
    private readonly TaskCompletionSource<Metadata> _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _lock = new();
    private readonly ICompressionProvider? _requestCompression;
    private PushContent? _content;
    private Task<HttpResponseMessage>? _send;
    private HttpResponseMessage? _response;
    private Stream? _responseStream;
    private ICompressionProvider? _responseCompression;
    private bool _responseValidated;
    private Status? _status;
    private Metadata? _trailers;
    private TResponse? _current;
    private bool _requestCompleted;

    public ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options)
    {
        _channel = channel;
        _method = method;
        _options = options;
        if (options.Deadline is DateTime deadline && deadline != DateTime.MaxValue)
        {
            _deadlineCts = new CancellationTokenSource();
            TimeSpan remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                _deadlineCts.Cancel();
            }
            else if (remaining.TotalMilliseconds < int.MaxValue)
            {
                _deadlineCts.CancelAfter(remaining);
            }
        }

        _cts = _deadlineCts is null
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _deadlineCts.Token);
        // A cancelled call must reset its stream even when nobody is reading it.
        _cts.Token.Register(OnCancelled);

        string? compression = options.WriteCompression ?? channel.Options.WriteCompression;
        if (compression is not null && compression != GrpcProtocol.IdentityEncoding)
        {
            if (!channel.Compression.TryGet(compression, out ICompressionProvider provider))
            {
                throw new ArgumentException($"no compression provider for '{compression}'");
            }

            _requestCompression = provider;
        }
    }

    public Task<Metadata> ResponseHeadersAsync => _headers.Task;

    public TResponse Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true");

    public void StartWithSingleRequest(TRequest request)
    {
        byte[] body;
        try
        {
            body = Serialize(request);
        }
        catch (RpcException ex)
        {
            Fail(ex);
            return;
        }

        _content = new PushContent(body);
        Send();
    }

    public void StartStreaming()
    {
        _content = new PushContent();
        Send();
    }

    public Status GetStatus() =>
        _status ?? throw new InvalidOperationException("the call has not finished");

    public Metadata GetTrailers() =>
        _trailers ?? throw new InvalidOperationException("the call has not finished");

    /// <summary>The one response of a unary or client-streaming call.</summary>
    public async Task<TResponse> ReadSingleResponseAsync()
    {
        TResponse? response = await ReadNextAsync(default).ConfigureAwait(false)
            ?? throw Finish(new Status(StatusCode.Internal, "the server sent no response message"), new Metadata(), overrideStatus: true);
        TResponse? extra = await ReadNextAsync(default).ConfigureAwait(false);
        if (extra is not null)
        {
            throw Finish(new Status(StatusCode.Internal, "the server sent more than one response message"), new Metadata(), overrideStatus: true);
        }

        return response;
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken = default)
    {
        _current = await ReadNextAsync(cancellationToken).ConfigureAwait(false);
        return _current is not null;
    }

    public async Task WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_requestCompleted)
        {
            throw new InvalidOperationException("the request stream has been completed");
        }

        ThrowIfFinished();
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        await _writeLock.WaitAsync(linked.Token).ConfigureAwait(false);
        try
        {
            byte[] framed = Serialize(message);
            Stream stream = await _content!.GetStreamAsync(linked.Token).ConfigureAwait(false);
            await stream.WriteAsync(framed, linked.Token).ConfigureAwait(false);
            await stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            // The call may have ended (the server replied with a status): report that status.
            ThrowIfFinished();
            if (await TryReadTrailersOnlyStatusAsync().ConfigureAwait(false) is (Status status, Metadata trailers))
            {
                throw Finish(status, trailers, ex);
            }

            throw Finish(MapException(ex), new Metadata(), ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// A write failed because the server already answered: when that answer was Trailers-Only
    /// (the usual early rejection: UNAUTHENTICATED, UNIMPLEMENTED, RESOURCE_EXHAUSTED), its status.
    /// </summary>
    private async Task<(Status, Metadata)?> TryReadTrailersOnlyStatusAsync()
    {
        if (_send is null || _cts.IsCancellationRequested)
        {
            return null;
        }

        try
        {
            HttpResponseMessage response = await _send.WaitAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return ReadStatus(response.Headers) is Status status ? (status, ToMetadata(response.Headers)) : null;
        }
        catch (Exception)
        {
            return null;
        }
    }

    public Task CompleteAsync()
    {
        _requestCompleted = true;
        _content?.Complete();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        if (_status is null)
        {
            _cts.Cancel();
        }

        _content?.Abort(new ObjectDisposedException("call"));
        _responseStream?.Dispose();
        _response?.Dispose();
        _cts.Dispose();
        _deadlineCts?.Dispose();
    }

    private void Send()
    {
        if (_deadlineCts?.IsCancellationRequested == true)
        {
            Fail(new RpcException(StatusCode.DeadlineExceeded, "Deadline Exceeded"));
            return;
        }

        var request = new HttpRequestMessage(HttpMethod.Post, _method.Path)
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _content,
        };
        HttpRequestHeaders headers = request.Headers;
        headers.TryAddWithoutValidation(GrpcProtocol.TeHeader, GrpcProtocol.TeTrailers);
        headers.TryAddWithoutValidation("user-agent", "lait-grpc-dotnet/1.0");
        headers.TryAddWithoutValidation(GrpcProtocol.AcceptEncodingHeader, _channel.Compression.AcceptEncoding);
        if (_requestCompression is not null)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.EncodingHeader, _requestCompression.EncodingName);
        }

        if (_options.Deadline is DateTime deadline && deadline != DateTime.MaxValue)
        {
            headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(deadline.ToUniversalTime() - DateTime.UtcNow));
        }

        if (_channel.Options.ApiKey is string key)
        {
            headers.TryAddWithoutValidation("authorization", "Bearer " + key);
        }

        AddMetadata(headers, _channel.Options.DefaultHeaders);
        AddMetadata(headers, _options.Headers);
        _send = SendAsync(request);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        try
        {
            HttpResponseMessage response = await _channel.HttpClient
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _cts.Token).ConfigureAwait(false);
            lock (_lock)
            {
                _response = response;
            }

            if (_cts.IsCancellationRequested)
            {
                response.Dispose();
                _cts.Token.ThrowIfCancellationRequested();
            }

            _headers.TrySetResult(ToMetadata(response.Headers));
            return response;
        }
        catch (Exception ex)
        {
            RpcException rpc = ex as RpcException ?? Finish(MapException(ex), new Metadata());
            _headers.TrySetException(rpc);
            throw rpc;
        }
    }

    private async Task<TResponse?> ReadNextAsync(CancellationToken cancellationToken)
    {
        if (_status is Status finished)
        {
            return finished.StatusCode == StatusCode.OK ? null : throw new RpcException(finished, _trailers ?? new Metadata());
        }

        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token)
            : null;
        CancellationToken token = linked?.Token ?? _cts.Token;
        try
        {
            HttpResponseMessage response = await _send!.WaitAsync(token).ConfigureAwait(false);
            if (!_responseValidated)
            {
                if (!ValidateResponse(response))
                {
                    return null;
                }

                Stream stream = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
                lock (_lock)
                {
                    _responseStream = stream;
                }

                _responseValidated = true;
                if (_cts.IsCancellationRequested)
                {
                    stream.Dispose();
                    token.ThrowIfCancellationRequested();
                }
            }

            FramedMessage? frame = await MessageFraming.ReadAsync(_responseStream!, _channel.Options.MaxReceiveMessageSize, token).ConfigureAwait(false);
            if (frame is null)
            {
                FinishFromTrailers(response);
                return null;
            }

            return Parse(frame.Value);
        }
        catch (RpcException ex)
        {
            if (_status is null)
            {
                Finish(ex.Status, ex.Trailers);
            }

            throw;
        }
        catch (Exception ex)
        {
            if (_status is Status s && s.StatusCode != StatusCode.OK)
            {
                throw new RpcException(s, _trailers ?? new Metadata(), ex);
            }

            throw Finish(MapException(ex), new Metadata(), ex);
        }
    }

    /// <summary>Checks status and content type; a Trailers-Only response finishes the call here (false).</summary>
    private bool ValidateResponse(HttpResponseMessage response)
    {
        Status? headerStatus = ReadStatus(response.Headers);
        int http = (int)response.StatusCode;
        if (http != 200)
        {
            throw Finish(headerStatus ?? new Status(GrpcProtocol.StatusFromHttpStatus(http),
                $"bad gRPC response: HTTP status {http}"), ToMetadata(response.Headers));
        }

        if (headerStatus is Status trailersOnly)
        {
            // Trailers-Only: the headers are the trailers.
            Metadata trailers = ToMetadata(response.Headers);
            RpcException? error = Finish(trailersOnly, trailers);
            return trailersOnly.StatusCode == StatusCode.OK ? false : throw error;
        }

        string? contentType = response.Content.Headers.ContentType?.MediaType;
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            throw Finish(new Status(StatusCode.Internal, $"bad gRPC response: content-type '{contentType}'"), new Metadata());
        }

        if (response.Headers.TryGetValues(GrpcProtocol.EncodingHeader, out IEnumerable<string>? encodings))
        {
            string encoding = encodings.First();
            if (encoding != GrpcProtocol.IdentityEncoding)
            {
                if (!_channel.Compression.TryGet(encoding, out ICompressionProvider provider))
                {
                    throw Finish(new Status(StatusCode.Internal, $"the server used an unsupported grpc-encoding '{encoding}'"), new Metadata());
                }

                _responseCompression = provider;
            }
        }

        return true;
    }

    private void FinishFromTrailers(HttpResponseMessage response)
    {
        Status status = ReadStatus(response.TrailingHeaders)
            ?? new Status(StatusCode.Internal, "the server ended the response without grpc-status");
        RpcException? error = Finish(status, ToMetadata(response.TrailingHeaders));
        if (status.StatusCode != StatusCode.OK)
        {
            throw error;
        }
    }

    private TResponse Parse(FramedMessage frame)
    {
        byte[] data = frame.Data;
        if (frame.Compressed)
        {
            if (_responseCompression is null)
            {
                throw new RpcException(StatusCode.Internal, "compressed response message without grpc-encoding");
            }

            data = _responseCompression.Decompress(data, _channel.Options.MaxReceiveMessageSize);
        }

        return _method.ResponseParser.ParseMessage(data);
    }

    private byte[] Serialize(TRequest message)
    {
        int size = message.CalculateSize();
        if (size > _channel.Options.MaxSendMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"request message larger than max ({size} vs. {_channel.Options.MaxSendMessageSize})");
        }

        if (_requestCompression is not null)
        {
            return MessageFraming.Frame(_requestCompression.Compress(message.ToByteArray()), compressed: true);
        }

        byte[] framed = new byte[MessageFraming.PrefixLength + size];
        MessageFraming.WritePrefix(framed, compressed: false, size);
        message.WriteTo(framed.AsSpan(MessageFraming.PrefixLength));
        return framed;
    }

    private void Fail(RpcException error)
    {
        Finish(error.Status, error.Trailers);
        _send = Task.FromException<HttpResponseMessage>(error);
        _headers.TrySetException(error);
    }

    /// <summary>Records the final status (first one wins) and returns the exception to throw for it.</summary>
    private RpcException Finish(Status status, Metadata trailers, Exception? inner = null, bool overrideStatus = false)
    {
        lock (_lock)
        {
            // Override: an OK from the server is still a protocol error for a unary call without exactly one message.
            if (_status is null || (overrideStatus && _status.Value.StatusCode == StatusCode.OK))
            {
                _status = status;
                _trailers = trailers;
            }
        }

        if (_status.Value.StatusCode != StatusCode.OK)
        {
            _content?.Abort(new RpcException(_status.Value, _trailers!));
        }

        return new RpcException(_status.Value, _trailers!, inner);
    }

    private void ThrowIfFinished()
    {
        if (_status is Status status)
        {
            throw status.StatusCode == StatusCode.OK
                ? new InvalidOperationException("the call has finished")
                : new RpcException(status, _trailers ?? new Metadata());
        }
    }

    private Status MapException(Exception ex)
    {
        if (_deadlineCts?.IsCancellationRequested == true)
        {
            return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        }

        if (_cts.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "call cancelled by the client");
        }

        return ClientStatusMapping.FromTransportException(ex);
    }

    private void OnCancelled()
    {
        HttpResponseMessage? response;
        Stream? responseStream;
        lock (_lock)
        {
            response = _response;
            responseStream = _responseStream;
        }

        Status status = _deadlineCts?.IsCancellationRequested == true
            ? new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded")
            : new Status(StatusCode.Cancelled, "call cancelled by the client");
        Finish(status, new Metadata());
        _content?.Abort(new OperationCanceledException(status.Detail));
        // Disposing the response stream before its end resets the HTTP/2 stream (RST_STREAM CANCEL),
        // which the server sees as RequestAborted. The content does not dispose a stream it handed out.
        responseStream?.Dispose();
        response?.Dispose();
    }

    private static Status? ReadStatus(HttpHeaders headers) => ClientStatusMapping.ReadStatus(headers);

    private static Metadata ToMetadata(HttpHeaders headers)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, IEnumerable<string>> header in headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }

            foreach (string value in header.Value)
            {
                try
                {
                    metadata.Add(Metadata.FromWire(header.Key, value));
                }
                catch (FormatException)
                {
                    // An undecodable -bin value is dropped rather than failing the call.
                }
            }
        }

        return metadata;
    }

    private static void AddMetadata(HttpRequestHeaders headers, Metadata? metadata)
    {
        if (metadata is null)
        {
            return;
        }

        foreach (Metadata.Entry entry in metadata)
        {
            headers.TryAddWithoutValidation(entry.Key, entry.WireValue);
        }
    }
}
