using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Lait.Server.Metrics;

/// <summary>
/// A small Prometheus registry: counters, gauges and histograms with labels, written in the text
/// exposition format (version 0.0.4). Hand-written because the OpenTelemetry Prometheus exporter is
/// not available here; recording is lock-free (Interlocked) so it can sit on hot paths.
/// </summary>
public sealed class MetricsRegistry
{
    private readonly ConcurrentDictionary<string, Family> _families = new(StringComparer.Ordinal);

    public Counter Counter(string name, string help, params string[] labelNames) =>
        (Counter)_families.GetOrAdd(name, _ => new Counter(name, help, labelNames));

    public Gauge Gauge(string name, string help, params string[] labelNames) =>
        (Gauge)_families.GetOrAdd(name, _ => new Gauge(name, help, labelNames));

    public Histogram Histogram(string name, string help, double[] buckets, params string[] labelNames) =>
        (Histogram)_families.GetOrAdd(name, _ => new Histogram(name, help, buckets, labelNames));

    /// <summary>Latency buckets in seconds, 100 µs to 30 s.</summary>
    public static double[] LatencyBuckets { get; } =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Writes every metric in the text exposition format, families in name order.</summary>
    public string Export()
    {
        var sb = new StringBuilder();
        foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            sb.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            sb.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            family.Write(sb);
        }
        return sb.ToString();
    }

    internal static string FormatLabels(string[] names, string[] values, string? extraName = null, string? extraValue = null)
    {
        if (names.Length == 0 && extraName is null) return "";
        var sb = new StringBuilder("{");
        for (int i = 0; i < names.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(names[i]).Append("=\"").Append(EscapeLabel(values[i])).Append('"');
        }
        if (extraName is not null)
        {
            if (names.Length > 0) sb.Append(',');
            sb.Append(extraName).Append("=\"").Append(extraValue).Append('"');
        }
        return sb.Append('}').ToString();
    }

    internal static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string EscapeHelp(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n");
}

public abstract class Family(string name, string help, string type, string[] labelNames)
{
    public string Name { get; } = name;
    public string Help { get; } = help;
    public string Type { get; } = type;
    protected string[] LabelNames { get; } = labelNames;

    internal abstract void Write(StringBuilder sb);

    protected string Key(string[] values)
    {
        if (values.Length != LabelNames.Length)
        {
            throw new ArgumentException($"metric {Name} takes {LabelNames.Length} label values, got {values.Length}");
        }
        return string.Join('\u0001', values);
    }
}

public sealed class Counter(string name, string help, string[] labelNames) : Family(name, help, "counter", labelNames)
{
    private readonly ConcurrentDictionary<string, (string[] Labels, double[] Cell)> _cells = new(StringComparer.Ordinal);

    public void Inc(params string[] labelValues) => Add(1, labelValues);

    public void Add(double amount, params string[] labelValues)
    {
        if (amount < 0) throw new ArgumentOutOfRangeException(nameof(amount), "a counter only goes up");
        var cell = _cells.GetOrAdd(Key(labelValues), _ => (labelValues, new double[1])).Cell;
        InterlockedAdd(ref cell[0], amount);
    }

    public double Value(params string[] labelValues) =>
        _cells.TryGetValue(Key(labelValues), out var c) ? Volatile.Read(ref c.Cell[0]) : 0;

    internal override void Write(StringBuilder sb)
    {
        foreach (var (labels, cell) in _cells.Values)
        {
            sb.Append(Name).Append(MetricsRegistry.FormatLabels(LabelNames, labels)).Append(' ')
              .Append(MetricsRegistry.FormatValue(Volatile.Read(ref cell[0]))).Append('\n');
        }
    }

    internal static void InterlockedAdd(ref double target, double amount)
    {
        double seen = Volatile.Read(ref target);
        while (true)
        {
            double observed = Interlocked.CompareExchange(ref target, seen + amount, seen);
            if (observed.Equals(seen)) return;
            seen = observed;
        }
    }
}

public sealed class Gauge(string name, string help, string[] labelNames) : Family(name, help, "gauge", labelNames)
{
    private readonly ConcurrentDictionary<string, (string[] Labels, Func<double> Read)> _cells = new(StringComparer.Ordinal);

    /// <summary>The gauge reads its value from <paramref name="read"/> at export time.</summary>
    public void Track(Func<double> read, params string[] labelValues) => _cells[Key(labelValues)] = (labelValues, read);

    internal override void Write(StringBuilder sb)
    {
        foreach (var (labels, read) in _cells.Values)
        {
            double value;
            try
            {
                value = read();
            }
            catch (Exception)
            {
                value = double.NaN; // a failing source must not break the scrape
            }
            sb.Append(Name).Append(MetricsRegistry.FormatLabels(LabelNames, labels)).Append(' ')
              .Append(MetricsRegistry.FormatValue(value)).Append('\n');
        }
    }
}

public sealed class Histogram : Family
{
    private readonly double[] _bounds;
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);

    public Histogram(string name, string help, double[] buckets, string[] labelNames) : base(name, help, "histogram", labelNames)
    {
        if (buckets.Length == 0) throw new ArgumentException("a histogram needs buckets", nameof(buckets));
        for (int i = 1; i < buckets.Length; i++)
        {
            if (buckets[i] <= buckets[i - 1]) throw new ArgumentException("bucket bounds must increase", nameof(buckets));
        }
        _bounds = buckets;
    }

    public void Observe(double value, params string[] labelValues)
    {
        var s = _series.GetOrAdd(Key(labelValues), _ => new Series(labelValues, _bounds.Length));
        int bucket = Array.BinarySearch(_bounds, value);
        if (bucket < 0) bucket = ~bucket; // first bound >= value (le is inclusive)
        Interlocked.Increment(ref s.Counts[bucket]);
        Counter.InterlockedAdd(ref s.Sum[0], value);
    }

    public long Count(params string[] labelValues)
    {
        if (!_series.TryGetValue(Key(labelValues), out var s)) return 0;
        long total = 0;
        for (int i = 0; i < s.Counts.Length; i++) total += Volatile.Read(ref s.Counts[i]);
        return total;
    }

    internal override void Write(StringBuilder sb)
    {
        foreach (var s in _series.Values)
        {
            long cumulative = 0;
            for (int i = 0; i <= _bounds.Length; i++)
            {
                cumulative += Volatile.Read(ref s.Counts[i]);
                string le = i < _bounds.Length ? MetricsRegistry.FormatValue(_bounds[i]) : "+Inf";
                sb.Append(Name).Append("_bucket").Append(MetricsRegistry.FormatLabels(LabelNames, s.Labels, "le", le))
                  .Append(' ').Append(cumulative).Append('\n');
            }
            string labels = MetricsRegistry.FormatLabels(LabelNames, s.Labels);
            sb.Append(Name).Append("_sum").Append(labels).Append(' ').Append(MetricsRegistry.FormatValue(Volatile.Read(ref s.Sum[0]))).Append('\n');
            sb.Append(Name).Append("_count").Append(labels).Append(' ').Append(cumulative).Append('\n');
        }
    }

    private sealed class Series(string[] labels, int bounds)
    {
        public string[] Labels { get; } = labels;
        // One slot per bound plus the +Inf bucket.
        public long[] Counts { get; } = new long[bounds + 1];
        public double[] Sum { get; } = new double[1];
    }
}
