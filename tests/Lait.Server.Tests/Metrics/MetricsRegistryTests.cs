using Lait.Server.Metrics;

namespace Lait.Server.Tests.Metrics;

public class MetricsRegistryTests
{
    [Fact]
    public void CounterExportsLabelledValues()
    {
        var registry = new MetricsRegistry();
        var calls = registry.Counter("lait_rpc_total", "RPCs handled", "method", "code");
        calls.Inc("/lait.v1.Lait/Combine", "OK");
        calls.Inc("/lait.v1.Lait/Combine", "OK");
        calls.Add(3, "/lait.v1.Lait/Combine", "NOT_FOUND");

        string text = registry.Export();
        Assert.Contains("# HELP lait_rpc_total RPCs handled\n# TYPE lait_rpc_total counter\n", text);
        Assert.Contains("lait_rpc_total{method=\"/lait.v1.Lait/Combine\",code=\"OK\"} 2\n", text);
        Assert.Contains("lait_rpc_total{method=\"/lait.v1.Lait/Combine\",code=\"NOT_FOUND\"} 3\n", text);
    }

    [Fact]
    public void HistogramBucketsAreCumulativeWithInclusiveUpperBounds()
    {
        var registry = new MetricsRegistry();
        var h = registry.Histogram("lait_batch_tokens", "tokens per batch", [10, 100]);
        h.Observe(10);
        h.Observe(50);
        h.Observe(1000);

        string text = registry.Export();
        Assert.Contains("lait_batch_tokens_bucket{le=\"10\"} 1\n", text);
        Assert.Contains("lait_batch_tokens_bucket{le=\"100\"} 2\n", text);
        Assert.Contains("lait_batch_tokens_bucket{le=\"+Inf\"} 3\n", text);
        Assert.Contains("lait_batch_tokens_sum 1060\n", text);
        Assert.Contains("lait_batch_tokens_count 3\n", text);
        Assert.Equal(3, h.Count());
    }

    [Fact]
    public void GaugeReadsAtExportAndSurvivesAFailingSource()
    {
        var registry = new MetricsRegistry();
        double size = 1;
        registry.Gauge("lait_store_segments", "stored segments", "model").Track(() => size, "mini");
        registry.Gauge("lait_broken", "a source that throws").Track(() => throw new IOException("gone"));
        size = 42;

        string text = registry.Export();
        Assert.Contains("lait_store_segments{model=\"mini\"} 42\n", text);
        Assert.Contains("lait_broken NaN\n", text);
    }

    [Fact]
    public void LabelValuesAreEscaped()
    {
        var registry = new MetricsRegistry();
        registry.Counter("lait_x_total", "x", "v").Inc("a\"b\\c\nd");
        Assert.Contains("lait_x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n", registry.Export());
    }

    [Fact]
    public void ConcurrentIncrementsAreNotLost()
    {
        var registry = new MetricsRegistry();
        var c = registry.Counter("lait_c_total", "c");
        Parallel.For(0, 10_000, _ => c.Inc());
        Assert.Equal(10_000, c.Value());
    }

    [Fact]
    public void WrongLabelCountIsRejected()
    {
        var registry = new MetricsRegistry();
        var c = registry.Counter("lait_y_total", "y", "a", "b");
        Assert.Throws<ArgumentException>(() => c.Inc("only-one"));
    }
}
