using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Lait.Test.V1;

namespace Lait.Interop.EchoServer;

/// <summary>lait.test.v1.Echo: the semantics are documented in tests/protos/lait/test/v1/echo.proto.</summary>
public sealed class EchoService(HealthServiceImpl health, EchoCounters counters) : Echo.EchoBase
{
    public const string ServiceName = "lait.test.v1.Echo";

    public override Task<EchoResponse> Unary(EchoRequest request, ServerCallContext context) =>
        Counted(context, () => UnaryAsync(request, context));

    public override Task ServerStream(EchoRequest request, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context) =>
        Counted(context, () => ServerStreamAsync(request, responseStream, context));

    public override Task<EchoResponse> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context) =>
        Counted(context, () => ClientStreamAsync(requestStream, context));

    public override Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoResponse> responseStream, ServerCallContext context) =>
        Counted(context, () => BidiAsync(requestStream, responseStream, context));

    public override Task<StatsResponse> GetStats(StatsRequest request, ServerCallContext context) => Task.FromResult(Stats());

    public override Task<StatsResponse> SetServing(SetServingRequest request, ServerCallContext context)
    {
        health.SetStatus(request.Service, request.Serving
            ? HealthCheckResponse.Types.ServingStatus.Serving
            : HealthCheckResponse.Types.ServingStatus.NotServing);
        return Task.FromResult(Stats());
    }

    private StatsResponse Stats() => new() { CancelledCalls = counters.Cancelled, CompletedCalls = counters.Completed };

    private async Task<EchoResponse> UnaryAsync(EchoRequest request, ServerCallContext context)
    {
        await EchoHeaders(context).ConfigureAwait(false);
        await DelayAsync(request, context).ConfigureAwait(false);
        FailIfAsked(request);
        return Reply(request, context, index: 0);
    }

    private async Task ServerStreamAsync(EchoRequest request, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        await EchoHeaders(context).ConfigureAwait(false);
        for (int i = 0; i < request.Repeat; i++)
        {
            if (request.FailCode != 0 && i >= request.FailAfter)
            {
                break;
            }

            await DelayAsync(request, context).ConfigureAwait(false);
            await responses.WriteAsync(Reply(request, context, i), context.CancellationToken).ConfigureAwait(false);
        }

        FailIfAsked(request);
    }

    private async Task<EchoResponse> ClientStreamAsync(IAsyncStreamReader<EchoRequest> requests, ServerCallContext context)
    {
        await EchoHeaders(context).ConfigureAwait(false);
        var messages = new List<string>();
        EchoRequest? last = null;
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            last = requests.Current;
            messages.Add(last.Message);
            await DelayAsync(last, context).ConfigureAwait(false);
            FailIfAsked(last);
        }

        EchoResponse response = last is null ? new EchoResponse() : Reply(last, context, 0);
        response.Message = string.Join(",", messages);
        response.Count = messages.Count;
        if (last is not null && last.ResponsePayloadSize == 0)
        {
            response.Payload = ByteString.Empty;
        }

        return response;
    }

    private async Task BidiAsync(IAsyncStreamReader<EchoRequest> requests, IServerStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        await EchoHeaders(context).ConfigureAwait(false);
        int received = 0;
        int sent = 0;
        EchoRequest? failing = null;
        while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            EchoRequest request = requests.Current;
            if (request.ThrowException)
            {
                FailIfAsked(request);
            }

            if (failing is null && request.FailCode != 0)
            {
                failing = request;
            }

            if (failing is not null && sent >= failing.FailAfter)
            {
                FailIfAsked(failing);
            }

            await DelayAsync(request, context).ConfigureAwait(false);
            await responses.WriteAsync(Reply(request, context, received), context.CancellationToken).ConfigureAwait(false);
            received++;
            sent++;
            if (failing is not null && sent >= failing.FailAfter)
            {
                FailIfAsked(failing);
            }
        }
    }

    private static EchoResponse Reply(EchoRequest request, ServerCallContext context, int index)
    {
        var response = new EchoResponse
        {
            Message = request.Message,
            Payload = request.ResponsePayloadSize > 0 ? ByteString.CopyFrom(new byte[request.ResponsePayloadSize]) : request.Payload,
            Index = index,
        };
        foreach (Metadata.Entry entry in context.RequestHeaders)
        {
            if (entry.Key.StartsWith("x-", StringComparison.Ordinal))
            {
                response.Metadata[entry.Key] = entry.IsBinary ? Convert.ToBase64String(entry.ValueBytes) : entry.Value;
            }
        }

        return response;
    }

    /// <summary>"x-echo-*" request headers go back as response headers and as "&lt;name&gt;-trailer" trailers.</summary>
    private static async Task EchoHeaders(ServerCallContext context)
    {
        var headers = new Metadata();
        foreach (Metadata.Entry entry in context.RequestHeaders)
        {
            if (!entry.Key.StartsWith("x-echo-", StringComparison.Ordinal))
            {
                continue;
            }

            headers.Add(entry);
            if (entry.IsBinary) context.ResponseTrailers.Add(entry.Key[..^4] + "-trailer-bin", entry.ValueBytes);
            else context.ResponseTrailers.Add(entry.Key + "-trailer", entry.Value);
        }

        if (headers.Count > 0)
        {
            await context.WriteResponseHeadersAsync(headers).ConfigureAwait(false);
        }
    }

    private static Task DelayAsync(EchoRequest request, ServerCallContext context) =>
        request.DelayMs > 0 ? Task.Delay(request.DelayMs, context.CancellationToken) : Task.CompletedTask;

    private static void FailIfAsked(EchoRequest request)
    {
        if (request.ThrowException)
        {
            throw new InvalidOperationException("echo handler failure with secret detail: /etc/lait/secret.key");
        }

        if (request.FailCode != 0)
        {
            throw new RpcException(new Status((StatusCode)request.FailCode, request.FailMessage));
        }
    }

    private async Task<T> Counted<T>(ServerCallContext context, Func<Task<T>> handler)
    {
        T result = default!;
        Func<Task> run = async () => { result = await handler().ConfigureAwait(false); };
        await Counted(context, run).ConfigureAwait(false);
        return result;
    }

    private static bool IsOwnFailure(Exception ex) => ex is InvalidOperationException && ex.Message.StartsWith("echo handler failure", StringComparison.Ordinal);

    private static async Task WaitForAsync(CancellationToken token, TimeSpan limit)
    {
        try
        {
            await Task.Delay(limit, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task Counted(ServerCallContext context, Func<Task> handler)
    {
        int counted = 0;
        void CountCancelled()
        {
            if (Interlocked.Exchange(ref counted, 1) == 0)
            {
                counters.CountCancelled();
            }
        }

        CancellationTokenRegistration registration = context.CancellationToken.Register(CountCancelled);
        try
        {
            await handler().ConfigureAwait(false);
            counters.CountCompleted();
        }
        catch (Exception ex) when (ex is not RpcException && !IsOwnFailure(ex))
        {
            // The call ended under the handler (a write after the deadline completed the response,
            // a read of a stream the client reset). Grpc.AspNetCore raises the call's token for
            // that too, but Kestrel may do it a moment after the handler's read or write failed:
            // wait for it briefly so that the count does not depend on that race.
            await WaitForAsync(context.CancellationToken, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            throw;
        }
        finally
        {
            registration.Dispose();
            // The token may have fired while its callbacks were still running on another thread;
            // the registration is gone by now, so look at the token itself.
            if (context.CancellationToken.IsCancellationRequested)
            {
                CountCancelled();
            }
        }
    }
}

/// <summary>Calls counted across the per-call service instances Grpc.AspNetCore creates.</summary>
public sealed class EchoCounters
{
    private long _cancelled;
    private long _completed;

    public long Cancelled => Interlocked.Read(ref _cancelled);

    public long Completed => Interlocked.Read(ref _completed);

    public void CountCancelled() => Interlocked.Increment(ref _cancelled);

    public void CountCompleted() => Interlocked.Increment(ref _completed);
}
