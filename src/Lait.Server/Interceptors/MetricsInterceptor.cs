using System.Diagnostics;
using Grpc.Core;
using Lait.Server.Hosting;
using Lait.Server.Metrics;

namespace Lait.Server.Interceptors;

/// <summary>
/// Counts every call by method and status code, records its latency, and traces it (when tracing is
/// on). It runs outermost, so it sees the status the caller gets (auth failures included).
/// </summary>
public sealed class MetricsInterceptor(MetricsRegistry metrics) : CallInterceptor
{
    private readonly Counter _calls = metrics.Counter("lait_rpc_calls_total", "gRPC calls by method and status code", "method", "code");
    private readonly Histogram _latency = metrics.Histogram("lait_rpc_duration_seconds", "gRPC call latency", MetricsRegistry.LatencyBuckets, "method");

    protected override async Task AroundAsync(ServerCallContext context, Func<Task> handler)
    {
        long start = Stopwatch.GetTimestamp();
        string code = "OK";
        string method = context.Method;
        using var activity = Tracing.Source.StartActivity(method, ActivityKind.Server);
        if (activity is not null)
        {
            int slash = method.LastIndexOf('/');
            activity.SetTag("rpc.system", "grpc");
            activity.SetTag("rpc.service", method[1..slash]);
            activity.SetTag("rpc.method", method[(slash + 1)..]);
        }
        try
        {
            await handler().ConfigureAwait(false);
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
            _calls.Inc(method, code);
            activity?.SetTag("rpc.grpc.status_code", code);
            if (code != "OK") activity?.SetStatus(ActivityStatusCode.Error, code);
            _latency.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds, method);
        }
    }
}
