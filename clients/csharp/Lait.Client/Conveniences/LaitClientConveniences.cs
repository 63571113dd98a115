using System.Runtime.CompilerServices;
using Lait.Grpc.Wire;
using Lait.Protos.V1;

namespace Lait.Client.Conveniences;

/// <summary>The everyday jobs on top of <see cref="LaitClient"/>'s raw calls.</summary>
public static class LaitClientConveniences
{
    /// <summary>
    /// Streams <paramref name="texts"/> through one EncodeSegment call and yields one
    /// acknowledgement per text, in input order. At most <see cref="IngestOptions.MaxInFlight"/>
    /// texts are unacknowledged at a time, so a huge or endless source is read only as fast as the
    /// server stores. Per-segment problems come back as acks with <c>Error</c> set; a problem with
    /// the stream (auth, unknown model, deadline) throws <see cref="RpcException"/>.
    /// </summary>
    public static async IAsyncEnumerable<EncodeSegmentResponse> IngestAsync(
        this LaitClient client,
        IAsyncEnumerable<string> texts,
        IngestOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new IngestOptions();
        if (options.MaxInFlight < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxInFlight must be at least 1");

        CallOptions callOptions = options.CallOptions ?? CallOptions.Default;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, callOptions.CancellationToken);
        using var call = client.EncodeSegment(callOptions with { CancellationToken = stop.Token });
        // One permit per unacknowledged segment: the writer takes one before each write, the reader returns one per ack.
        using var window = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);

        Task writer = WriteAllAsync(call, texts, options, window, stop);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await call.ResponseStream.MoveNext(stop.Token).ConfigureAwait(false);
                }
                catch when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !callOptions.CancellationToken.IsCancellationRequested)
                {
                    // Only the writer cancels on its own: the source failed. Report that failure, not CANCELLED.
                    await writer.ConfigureAwait(false);
                    throw;
                }
                if (!more) break;
                window.Release();
                yield return call.ResponseStream.Current;
            }
            await writer.ConfigureAwait(false);
        }
        finally
        {
            // Early exit by the consumer (break, exception): stop the writer and the call.
            if (!writer.IsCompleted) stop.Cancel();
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>Synchronous-source overload of <see cref="IngestAsync(LaitClient, IAsyncEnumerable{string}, IngestOptions?, CancellationToken)"/>.</summary>
    public static IAsyncEnumerable<EncodeSegmentResponse> IngestAsync(
        this LaitClient client, IEnumerable<string> texts, IngestOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return client.IngestAsync(ToAsync(texts), options, cancellationToken);
    }

    private static async Task WriteAllAsync(
        AsyncDuplexStreamingCall<EncodeSegmentRequest, EncodeSegmentResponse> call,
        IAsyncEnumerable<string> texts, IngestOptions options, SemaphoreSlim window, CancellationTokenSource stop)
    {
        CancellationToken cancellationToken = stop.Token;
        long index = 0;
        try
        {
            await foreach (string text in texts.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await window.WaitAsync(cancellationToken).ConfigureAwait(false);
                var request = new EncodeSegmentRequest
                {
                    Model = options.Model,
                    Segment = new SegmentInput { Text = text, Role = options.Role, Truncation = options.Truncation },
                    Durability = options.Durability,
                };
                SegmentName? name = options.NameSelector?.Invoke(index, text);
                if (name is not null) request.Name = name;
                await call.RequestStream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
                index++;
            }
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (RpcException)
        {
            // The call ended (its status is read by the response side); nothing more to write.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // The source (or a name selector) failed: end the call so that the reader stops waiting.
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async IAsyncEnumerable<string> ToAsync(IEnumerable<string> texts)
    {
        foreach (string text in texts)
        {
            yield return text;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>
    /// Verifies <paramref name="claim"/> (sent inline) against stored evidence segments by id with
    /// TASK_TYPE_VERIFY_CLAIM. NOT_FOUND lists ids that are not stored.
    /// </summary>
    public static Task<ClaimVerification> VerifyClaimAsync(this LaitClient client, string claim, IEnumerable<string> evidenceIds, CombineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(evidenceIds);
        return client.VerifyClaimAsync(claim, evidenceIds.Select(id => new SegmentRef { SegmentId = id }), options);
    }

    /// <summary>Verifies <paramref name="claim"/> against evidence given as any references (ids, names or inline texts).</summary>
    public static async Task<ClaimVerification> VerifyClaimAsync(this LaitClient client, string claim, IEnumerable<SegmentRef> evidence, CombineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claim);
        ArgumentNullException.ThrowIfNull(evidence);
        options ??= new CombineOptions();
        var request = NewRequest(TaskType.VerifyClaim, options);
        request.Aggregation = options.Aggregation;
        request.TopK = options.TopK;
        request.Segments.Add(Inline(claim));
        request.Segments.AddRange(evidence);
        CombineResponse response = await CombineAsync(client, request, options).ConfigureAwait(false);
        return response.ClaimVerification ?? throw UnexpectedResult(response);
    }

    /// <summary>Answers a yes/no <paramref name="question"/> over <paramref name="passage"/>, both sent inline.</summary>
    public static async Task<YesNoAnswer> AnswerYesNoAsync(this LaitClient client, string question, string passage, CombineOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        ArgumentException.ThrowIfNullOrWhiteSpace(passage);
        options ??= new CombineOptions();
        var request = NewRequest(TaskType.YesNo, options);
        request.Segments.Add(Inline(question));
        request.Segments.Add(Inline(passage));
        CombineResponse response = await CombineAsync(client, request, options).ConfigureAwait(false);
        return response.YesNo ?? throw UnexpectedResult(response);
    }

    /// <summary>Classifies the texts jointly, in order (the claim / hypothesis first, then the evidence / premise, as the models were trained), all sent inline.</summary>
    public static Task<Classification> ClassifyAsync(this LaitClient client, IEnumerable<string> texts, CombineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        return client.ClassifyAsync(texts.Select(Inline), options);
    }

    /// <summary>Classifies the referenced segments jointly, in order.</summary>
    public static async Task<Classification> ClassifyAsync(this LaitClient client, IEnumerable<SegmentRef> segments, CombineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(segments);
        options ??= new CombineOptions();
        var request = NewRequest(TaskType.Classify, options);
        request.Segments.AddRange(segments);
        CombineResponse response = await CombineAsync(client, request, options).ConfigureAwait(false);
        return response.Classification ?? throw UnexpectedResult(response);
    }

    private static async Task<CombineResponse> CombineAsync(LaitClient client, CombineRequest request, CombineOptions options)
    {
        using var call = client.CombineAsync(request, options.CallOptions);
        return await call.ResponseAsync.ConfigureAwait(false);
    }

    private static CombineRequest NewRequest(TaskType task, CombineOptions options) =>
        new() { Model = options.Model, Task = task, Truncation = options.Truncation };

    private static SegmentRef Inline(string text) => new() { Inline = new SegmentInput { Text = text } };

    private static RpcException UnexpectedResult(CombineResponse response) =>
        new(StatusCode.Internal, $"the server answered with result '{response.ResultCase}' for this task");
}
