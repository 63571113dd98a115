using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Lait.Cli.Commands;

/// <summary>`lait stats [--metrics-url URL]`: models and stored segments, plus a summary of the server's Prometheus metrics.</summary>
public static class StatsCommand
{
    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var metricsUrl = new Option<string?>("--metrics-url") { Description = "The server's metrics endpoint, e.g. http://127.0.0.1:9464/metrics (the server's --metrics-port)" };
        var command = new Command("stats", "Show model and store statistics (and call metrics with --metrics-url)") { metricsUrl };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = globals.Open(parse);
            string? url = parse.GetValue(metricsUrl);
            if (url is not null && !Uri.TryCreate(url, UriKind.Absolute, out _)) throw new UsageException($"--metrics-url must be a URL, got '{url}'");
            var models = await ModelsCommand.ListAsync(session, cancellationToken);
            MetricsSummary? metrics = url is null ? null : MetricsSummary.Parse(await FetchAsync(url, session.Timeout, cancellationToken));
            if (session.Json)
            {
                Output.WriteJson(output, new
                {
                    DefaultModel = models.DefaultModel,
                    Models = models.Models.Select(m => new { m.Name, m.Architecture, m.NumLayers, m.TowerLayers, m.StateCodec, m.StoredSegments }),
                    Metrics = metrics,
                });
                return ExitCodes.Ok;
            }
            var console = Output.Console(output, Output.IsTerminal(output));
            console.Write(ModelsCommand.Table(models));
            if (metrics is not null)
            {
                var calls = new Table().AddColumns("method", "calls", "errors", "mean latency (ms)");
                foreach (var m in metrics.Methods)
                {
                    calls.AddRow(Markup.Escape(m.Method), m.Calls.ToString(CultureInfo.InvariantCulture), m.Errors.ToString(CultureInfo.InvariantCulture),
                        m.MeanLatencyMs is { } ms ? ms.ToString("0.00", CultureInfo.InvariantCulture) : "-");
                }
                console.Write(calls);
                console.WriteLine($"store: {metrics.StorePuts:0} puts, {metrics.StoreBytes / (1024.0 * 1024.0):0.0} MiB; segment cache lookups: {metrics.CacheHits:0} hits, {metrics.CacheMisses:0} misses");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<string> FetchAsync(string url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            return await http.GetStringAsync(url, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            throw new UnreachableException($"cannot reach the metrics endpoint {url}: {ex.Message}");
        }
    }
}

public sealed record MethodMetrics(string Method, double Calls, double Errors, double? MeanLatencyMs);

/// <summary>The few series of the server's Prometheus text that a person asks about.</summary>
public sealed record MetricsSummary(IReadOnlyList<MethodMetrics> Methods, double StorePuts, double StoreBytes, double CacheHits, double CacheMisses)
{
    public static MetricsSummary Parse(string text)
    {
        var calls = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var errors = new Dictionary<string, double>();
        var durationSum = new Dictionary<string, double>();
        var durationCount = new Dictionary<string, double>();
        double puts = 0, bytes = 0, hits = 0, misses = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            int space = line.LastIndexOf(' ');
            if (space < 0 || !double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) continue;
            string series = line[..space];
            int brace = series.IndexOf('{');
            string name = brace < 0 ? series : series[..brace];
            string labels = brace < 0 ? "" : series[(brace + 1)..series.LastIndexOf('}')];
            string method = Label(labels, "method");
            switch (name)
            {
                case "lait_rpc_calls_total":
                    calls[method] = calls.GetValueOrDefault(method) + value;
                    if (Label(labels, "code") is not ("OK" or "0")) errors[method] = errors.GetValueOrDefault(method) + value;
                    break;
                case "lait_rpc_duration_seconds_sum":
                    durationSum[method] = durationSum.GetValueOrDefault(method) + value;
                    break;
                case "lait_rpc_duration_seconds_count":
                    durationCount[method] = durationCount.GetValueOrDefault(method) + value;
                    break;
                // The server exports the gauge lait_store_puts; older notes named it lait_store_puts_total.
                case "lait_store_puts":
                case "lait_store_puts_total":
                    puts += value;
                    break;
                case "lait_store_bytes":
                    bytes += value;
                    break;
                case "lait_segment_cache_lookups_total":
                    if (Label(labels, "result") == "hit") hits += value; else misses += value;
                    break;
            }
        }
        var methods = calls.Select(c => new MethodMetrics(c.Key, c.Value, errors.GetValueOrDefault(c.Key),
            durationCount.GetValueOrDefault(c.Key) > 0 ? 1000 * durationSum[c.Key] / durationCount[c.Key] : null)).ToList();
        return new MetricsSummary(methods, puts, bytes, hits, misses);
    }

    private static string Label(string labels, string key)
    {
        string prefix = key + "=\"";
        int start = labels.IndexOf(prefix, StringComparison.Ordinal);
        if (start < 0) return "";
        start += prefix.Length;
        int end = labels.IndexOf('"', start);
        return end < 0 ? "" : labels[start..end];
    }
}
