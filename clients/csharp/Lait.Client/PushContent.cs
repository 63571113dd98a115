using System.Net;

namespace Lait.Client;

/// <summary>
/// Request content that stays open while the caller writes messages: HttpClient hands us the
/// HTTP/2 request stream, and the body ends (END_STREAM) when <see cref="Complete"/> is called.
/// A fixed body (unary and server-streaming calls) is written at once and completes.
/// </summary>
internal sealed class PushContent : HttpContent
{
    private readonly byte[]? _fixedBody;
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PushContent(byte[]? fixedBody = null)
    {
        _fixedBody = fixedBody;
        Headers.TryAddWithoutValidation("Content-Type", Lait.Grpc.Wire.GrpcProtocol.ContentType);
    }

    public Task<Stream> GetStreamAsync(CancellationToken cancellationToken) => _stream.Task.WaitAsync(cancellationToken);

    public void Complete() => _completed.TrySetResult();

    public void Abort(Exception exception)
    {
        _stream.TrySetException(exception);
        _completed.TrySetException(exception);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        if (_fixedBody is not null)
        {
            await stream.WriteAsync(_fixedBody).ConfigureAwait(false);
            return;
        }

        _stream.TrySetResult(stream);
        await _completed.Task.ConfigureAwait(false);
    }

    protected override bool TryComputeLength(out long length)
    {
        // A unary or server-streaming request is one known message: a content-length lets HttpClient
        // send it with END_STREAM in one go. Streaming requests have no length.
        length = _fixedBody?.Length ?? -1;
        return _fixedBody is not null;
    }
}
