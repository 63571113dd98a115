using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lait.Client;
using Lait.Client.Conveniences;
using Grpc.Core;
using Lait.Protos.V1;

namespace Lait.Cli.Commands;

/// <summary>
/// `lait bench [--pairs N]`: stores N synthetic claim/evidence pairs, then times one Combine
/// (classify) per pair over their stored ids, the LAIT fast path. Latencies are client-side,
/// round trip included; the server's own timings are averaged beside them.
/// </summary>
public static class BenchCommand
{
    // Common words (also in the tests' tiny vocabulary) so that generated sentences tokenize without [UNK].
    private static readonly string[] Words =
    [
        "the", "a", "cat", "dog", "bird", "city", "river", "sky", "sun", "water", "fire", "moon", "star", "is", "was", "has",
        "big", "small", "red", "blue", "green", "old", "new", "in", "on", "at", "and", "not", "tall", "cold",
    ];

    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var pairs = new Option<int>("--pairs") { Description = "Claim/evidence pairs to time", DefaultValueFactory = _ => 100 };
        var concurrency = new Option<int>("--concurrency") { Description = "Combine calls in flight at once", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the synthetic sentences", DefaultValueFactory = _ => 1 };
        var command = new Command("bench", "Time Combine over stored segments (a quick latency benchmark)") { pairs, concurrency, seed };
        command.SetAction(async (parse, cancellationToken) =>
        {
            int n = parse.GetValue(pairs);
            int parallel = parse.GetValue(concurrency);
            if (n < 1 || n > 100_000) throw new UsageException("--pairs must be between 1 and 100000");
            if (parallel < 1 || parallel > 256) throw new UsageException("--concurrency must be between 1 and 256");
            using var session = globals.Open(parse);
            var random = new Random(parse.GetValue(seed));
            var claims = Enumerable.Range(0, n).Select(_ => Sentence(random)).ToList();
            var evidence = Enumerable.Range(0, n).Select(_ => Sentence(random)).ToList();

            var encodeClock = Stopwatch.StartNew();
            var claimIds = await StoreAsync(session, claims, Role.First, cancellationToken);
            var evidenceIds = await StoreAsync(session, evidence, Role.Other, cancellationToken);
            encodeClock.Stop();

            // Warm-up: the first calls pay for JIT and connection set-up on both sides.
            for (int i = 0; i < Math.Min(5, n); i++) await CombineAsync(session, claimIds[i], evidenceIds[i], cancellationToken);

            var latencies = new double[n];
            var serverJointUs = new long[n];
            var serverTotalUs = new long[n];
            var wall = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                long start = Stopwatch.GetTimestamp();
                var response = await CombineAsync(session, claimIds[i], evidenceIds[i], ct);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                serverJointUs[i] = response.Timings?.JointUs ?? 0;
                serverTotalUs[i] = response.Timings?.TotalUs ?? 0;
            });
            wall.Stop();

            Array.Sort(latencies);
            var result = new
            {
                Pairs = n,
                Concurrency = parallel,
                EncodeSeconds = encodeClock.Elapsed.TotalSeconds,
                CallsPerSecond = n / wall.Elapsed.TotalSeconds,
                MeanMs = latencies.Average(),
                P50Ms = Percentile(latencies, 0.50),
                P90Ms = Percentile(latencies, 0.90),
                P99Ms = Percentile(latencies, 0.99),
                MaxMs = latencies[^1],
                ServerMeanJointMs = serverJointUs.Average() / 1000.0,
                ServerMeanTotalMs = serverTotalUs.Average() / 1000.0,
            };
            if (session.Json)
            {
                Output.WriteJson(output, result);
                return ExitCodes.Ok;
            }
            var c = CultureInfo.InvariantCulture;
            output.WriteLine(string.Create(c, $"stored {2 * n} segments in {result.EncodeSeconds:0.00} s"));
            output.WriteLine(string.Create(c, $"Combine (classify, 2 stored segments) x {n}, concurrency {parallel}: {result.CallsPerSecond:0.0} calls/s"));
            output.WriteLine(string.Create(c, $"latency ms: mean {result.MeanMs:0.000}  p50 {result.P50Ms:0.000}  p90 {result.P90Ms:0.000}  p99 {result.P99Ms:0.000}  max {result.MaxMs:0.000}"));
            output.WriteLine(string.Create(c, $"server ms: mean joint {result.ServerMeanJointMs:0.000}  mean total {result.ServerMeanTotalMs:0.000}"));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Sentence(Random random)
    {
        int length = random.Next(5, 12);
        var words = new string[length];
        for (int i = 0; i < length; i++) words[i] = Words[random.Next(Words.Length)];
        return string.Join(' ', words) + " .";
    }

    private static async Task<List<string>> StoreAsync(Session session, List<string> texts, Role role, CancellationToken cancellationToken)
    {
        var ids = new List<string>(texts.Count);
        var options = new IngestOptions { Model = session.Model, Role = role, CallOptions = LaitChannel.WithTimeout(session.Timeout * Math.Max(1, texts.Count / 100), cancellationToken: cancellationToken) };
        await foreach (var ack in session.Client.IngestAsync(texts, options, cancellationToken))
        {
            if (ack.Error is not null) throw new RpcException(new Status((StatusCode)ack.Error.Code, ack.Error.Message));
            ids.Add(ack.SegmentId);
        }
        return ids;
    }

    private static async Task<CombineResponse> CombineAsync(Session session, string claimId, string evidenceId, CancellationToken cancellationToken)
    {
        var request = new CombineRequest { Model = session.Model, Task = TaskType.Classify };
        request.Segments.Add(new SegmentRef { SegmentId = claimId });
        request.Segments.Add(new SegmentRef { SegmentId = evidenceId });
        using var call = session.Client.CombineAsync(request, session.Call(cancellationToken));
        return await call.ResponseAsync;
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
