using System.Diagnostics;
using Lait.Grpc.Wire;
using Lait.Server.Metrics;
using Lait.Transport;

namespace Lait.Server.Hosting;

/// <summary>Counts every call by method and status code and records its latency.</summary>
public sealed class MetricsInterceptor(MetricsRegistry metrics) : IServerInterceptor
{
    private readonly Counter _calls = metrics.Counter("lait_rpc_calls_total", "gRPC calls by method and status code", "method", "code");
    private readonly Histogram _latency = metrics.Histogram("lait_rpc_duration_seconds", "gRPC call latency", MetricsRegistry.LatencyBuckets, "method");

    public async Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next)
    {
        long start = Stopwatch.GetTimestamp();
        string code = "OK";
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
            _latency.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds, context.Method);
        }
    }
}
