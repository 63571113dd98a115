using Google.Protobuf;
using Grpc.Health.V1;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Lait.Transport;
using Lait.Transport.Health;

namespace Lait.Transport.EchoServer;

/// <summary>lait.test.v1.Echo: the semantics are documented in tests/protos/lait/test/v1/echo.proto.</summary>
public sealed class EchoService
{
    public const string ServiceName = "lait.test.v1.Echo";

    private readonly HealthService _health;
    private long _cancelledCalls;
    private long _completedCalls;

    public EchoService(HealthService health)
    {
        _health = health;
    }

    public long CancelledCalls => Interlocked.Read(ref _cancelledCalls);

    public long CompletedCalls => Interlocked.Read(ref _completedCalls);

    public ServiceDefinition CreateDefinition() =>
        ServiceDefinition.CreateBuilder(EchoReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("Echo"))
            .AddUnary<EchoRequest, EchoResponse>("Unary", (request, context) => Counted(context, () => UnaryAsync(request, context)))
            .AddServerStreaming<EchoRequest, EchoResponse>("ServerStream", (request, responses, context) =>
                Counted(context, () => ServerStreamAsync(request, responses, context)))
            .AddClientStreaming<EchoRequest, EchoResponse>("ClientStream", (requests, context) =>
                Counted(context, () => ClientStreamAsync(requests, context)))
            .AddDuplexStreaming<EchoRequest, EchoResponse>("Bidi", (requests, responses, context) =>
                Counted(context, () => BidiAsync(requests, responses, context)))
            .AddUnary<StatsRequest, StatsResponse>("GetStats", (_, _) => Task.FromResult(Stats()))
            .AddUnary<SetServingRequest, StatsResponse>("SetServing", (request, _) =>
            {
                _health.SetStatus(request.Service, request.Serving
                    ? HealthCheckResponse.Types.ServingStatus.Serving
                    : HealthCheckResponse.Types.ServingStatus.NotServing);
                return Task.FromResult(Stats());
            })
            .Build();

    private StatsResponse Stats() => new() { CancelledCalls = CancelledCalls, CompletedCalls = CompletedCalls };

    private async Task<EchoResponse> UnaryAsync(EchoRequest request, ServerCallContext context)
    {
        EchoHeaders(context);
        await DelayAsync(request, context).ConfigureAwait(false);
        FailIfAsked(request);
        return Reply(request, context, index: 0);
    }

    private async Task ServerStreamAsync(EchoRequest request, IAsyncStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        EchoHeaders(context);
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
        EchoHeaders(context);
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

    private async Task BidiAsync(IAsyncStreamReader<EchoRequest> requests, IAsyncStreamWriter<EchoResponse> responses, ServerCallContext context)
    {
        EchoHeaders(context);
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
                response.Metadata[entry.Key] = entry.Value;
            }
        }

        return response;
    }

    /// <summary>"x-echo-*" request headers go back as response headers and as "&lt;name&gt;-trailer" trailers.</summary>
    private static void EchoHeaders(ServerCallContext context)
    {
        foreach (Metadata.Entry entry in context.RequestHeaders)
        {
            if (!entry.Key.StartsWith("x-echo-", StringComparison.Ordinal))
            {
                continue;
            }

            context.ResponseHeaders.Add(entry);
            context.ResponseTrailers.Add(entry.Key + "-trailer", entry.Value);
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
            throw new RpcException((StatusCode)request.FailCode, request.FailMessage);
        }
    }

    private async Task<T> Counted<T>(ServerCallContext context, Func<Task<T>> handler)
    {
        T result = default!;
        Func<Task> run = async () => { result = await handler().ConfigureAwait(false); };
        await Counted(context, run).ConfigureAwait(false);
        return result;
    }

    private async Task Counted(ServerCallContext context, Func<Task> handler)
    {
        int counted = 0;
        void CountCancelled()
        {
            if (Interlocked.Exchange(ref counted, 1) == 0)
            {
                Interlocked.Increment(ref _cancelledCalls);
            }
        }

        CancellationTokenRegistration registration = context.CancellationToken.Register(CountCancelled);
        try
        {
            await handler().ConfigureAwait(false);
            Interlocked.Increment(ref _completedCalls);
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
