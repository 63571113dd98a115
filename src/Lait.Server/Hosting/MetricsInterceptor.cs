using System.Diagnostics;
using Lait.Grpc.Wire;
using Lait.Server.Metrics;
using Lait.Transport;

namespace Lait.Server.Hosting;

/// <summary>Counts every call by method and status code, records its latency, and traces it (when tracing is on).</summary>
public sealed class MetricsInterceptor(MetricsRegistry metrics) : IServerInterceptor
{
    private readonly Counter _calls = metrics.Counter("lait_rpc_calls_total", "gRPC calls by method and status code", "method", "code");
    private readonly Histogram _latency = metrics.Histogram("lait_rpc_duration_seconds", "gRPC call latency", MetricsRegistry.LatencyBuckets, "method");

    public async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next)
    {
        long start = Stopwatch.GetTimestamp();
        string code = "OK";
        using var activity = Tracing.Source.StartActivity(context.Method, ActivityKind.Server);
        activity?.SetTag("rpc.system", "grpc");
        activity?.SetTag("rpc.service", context.ServiceName);
        activity?.SetTag("rpc.method", context.MethodName);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode.ToString();
            throw;
        }
        catch (OperationCanceledException)
        {
            code = context.CancellationToken.IsCancellationRequested && DateTime.UtcNow >= context.Deadline ? "DeadlineExceeded" : "Cancelled";
            throw;
        }
        catch (Exception)
        {
            code = "Internal";
            throw;
        }
        finally
        {
            _calls.Inc(context.Method, code);
            activity?.SetTag("rpc.grpc.status_code", code);
            if (code != "OK") activity?.SetStatus(ActivityStatusCode.Error, code);
            _latency.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds, context.Method);
        }
    }
}
