using System.Globalization;
using System.Text;

namespace Lait.Bench.Transport;

/// <summary>Formats both clients' numbers as one markdown table with C#/Python ratios.</summary>
public static class Report
{
    public static string Markdown(BenchSettings settings, BenchResult csharp, BenchResult? python, double[] rawUnary)
    {
        var text = new StringBuilder();
        text.AppendLine(Invariant($"{settings.Rounds} rounds, clients taking turns; unary latencies pooled over the rounds, streaming times are per-case medians. Unary: {settings.UnaryCalls} sequential calls per round after {settings.Warmup} warm-up, {settings.SmallBytes}-byte payload. Streams: one call each, payload size x count as listed; bidi writes as fast as flow control allows while reading. MB = 10^6 payload bytes received by the client."));
        text.AppendLine();
        text.AppendLine("| measure | C# client | Python client | C# advantage | raw HttpClient |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        Latency(text, "unary p50 (µs)", Percentile(csharp.UnaryMicros, 0.50), python is null ? null : Percentile(python.UnaryMicros, 0.50), Percentile(rawUnary, 0.50));
        Latency(text, "unary p99 (µs)", Percentile(csharp.UnaryMicros, 0.99), python is null ? null : Percentile(python.UnaryMicros, 0.99), Percentile(rawUnary, 0.99));
        Throughput(text, "unary calls/s", CallsPerSecond(csharp.UnaryMicros), python is null ? null : CallsPerSecond(python.UnaryMicros), CallsPerSecond(rawUnary));
        for (int i = 0; i < csharp.ServerStreams.Count; i++)
        {
            StreamTiming c = csharp.ServerStreams[i];
            StreamTiming? p = python?.ServerStreams[i];
            string label = Invariant($"server stream {Size(c.Size)} x {c.Count}");
            Throughput(text, $"{label}: msg/s", c.MessagesPerSecond, p?.MessagesPerSecond);
            Throughput(text, $"{label}: MB/s", c.MegabytesPerSecond, p?.MegabytesPerSecond);
        }

        for (int i = 0; i < csharp.Bidis.Count; i++)
        {
            StreamTiming c = csharp.Bidis[i];
            StreamTiming? p = python?.Bidis[i];
            string label = Invariant($"bidi {Size(c.Size)} x {c.Count}");
            Throughput(text, $"{label}: msg/s", c.MessagesPerSecond, p?.MessagesPerSecond);
            Throughput(text, $"{label}: MB/s", c.MegabytesPerSecond, p?.MegabytesPerSecond);
        }

        text.AppendLine();
        text.AppendLine("C# advantage: Python time / C# time for latencies, C# rate / Python rate for throughput (>1 = C# client faster). Raw HttpClient: unary calls framed by hand on a bare HttpClient, the floor under the C# client library.");
        return text.ToString();
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    private static double CallsPerSecond(double[] micros) => micros.Length / (micros.Sum() / 1e6);

    private static void Latency(StringBuilder text, string label, double csharp, double? python, double? raw = null) =>
        Row(text, label, csharp, python, python is null ? null : python / csharp, raw);

    private static void Throughput(StringBuilder text, string label, double csharp, double? python, double? raw = null) =>
        Row(text, label, csharp, python, python is null ? null : csharp / python, raw);

    private static void Row(StringBuilder text, string label, double csharp, double? python, double? ratio, double? raw) =>
        text.AppendLine(Invariant($"| {label} | {Number(csharp)} | {(python is null ? "n/a" : Number(python.Value))} | {(ratio is null ? "n/a" : ratio.Value.ToString("0.00", CultureInfo.InvariantCulture) + "x")} | {(raw is null ? "" : Number(raw.Value))} |"));

    private static string Number(double value) =>
        value >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Size(int bytes) => bytes >= 1024 ? Invariant($"{bytes / 1024} KiB") : Invariant($"{bytes} B");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
