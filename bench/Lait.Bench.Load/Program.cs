using System.Collections.Concurrent;
using System.Diagnostics;
using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;

// Load and soak run of the reliability suite (issue 8), against a real server process on 127.0.0.1:
//   load:  N concurrent EncodeSegment streams plus Combine callers for a fixed duration; reports
//          throughput, p50/p99 latency, errors (must be 0) and the server's RSS at start and end;
//   crash: kill -9 cycles during concurrent ingestion on a durable store (see CrashCycles).
// Usage: dotnet run -c Release --project bench/Lait.Bench.Load -- [--mode load|crash|both]
//        [--streams 64] [--combiners 8] [--duration 60] [--in-flight 8] [--cycles 20] [--store-memory-mib 32]
// Exit code 1 when an error, a wrong answer or a lost acknowledged segment was seen.
string mode = Arg("--mode", "load");
int streams = Math.Clamp(int.Parse(Arg("--streams", "64")), 1, 256);
int combiners = Math.Clamp(int.Parse(Arg("--combiners", "8")), 0, 64);
int durationS = Math.Clamp(int.Parse(Arg("--duration", "60")), 1, 600); // bounded: at most 10 minutes
int inFlight = Math.Clamp(int.Parse(Arg("--in-flight", "8")), 1, 64);
int cycles = Math.Clamp(int.Parse(Arg("--cycles", "20")), 1, 100);
// The store's in-memory log is capped low so that it fills early and RSS must then level off.
int storeMemoryMiB = Math.Clamp(int.Parse(Arg("--store-memory-mib", "32")), 1, 4096);
bool failed = false;

if (mode is "load" or "both") failed |= !await RunLoadAsync();
if (mode is "crash" or "both") failed |= !await RunCrashAsync();
return failed ? 1 : 0;

async Task<bool> RunLoadAsync()
{
    using var dir = new TempDirectory();
    // A small BERT (4 layers x 128, P = 2): big enough that compute matters, small enough for 2 cores.
    string model = TinyModelWriter.Write(dir.Sub("model"), new TinyModelWriter.Options(Layers: 4, Hidden: 128, Heads: 4, Intermediate: 512, MaxPositions: 64, TowerLayers: 2));
    await using var server = await ServerProcess.StartAsync(["--model-dir", model, "--store-dir", dir.Sub("store"), "--codec", "fp32", "--durability", "durable",
        "--max-concurrent-streams", (streams + 16).ToString(), "--store-memory-bytes", ((long)storeMemoryMiB << 20).ToString()]);
    Console.WriteLine($"load: {streams} EncodeSegment streams (<= {inFlight} in flight each) + {combiners} Combine callers for {durationS} s; " +
                      $"server pid {server.ProcessId} on 127.0.0.1:{server.Port}, {Environment.ProcessorCount} cores");

    // The Combine callers verify a claim against 8 stored evidence sentences and check the exact answer.
    var random = new Random(1);
    var fixedAcks = await Segments.EncodeAsync(server.Client,
        [(Segments.Sentence(random, 10), Role.First), .. Enumerable.Range(0, 8).Select(_ => (Segments.Sentence(random, 20), Role.Other))]);
    var combine = Segments.Verify(fixedAcks.Select(a => a.SegmentId));
    string reference = Segments.Fingerprint(await server.Client.CombineAsync(combine));
    for (int i = 0; i < 20; i++) await server.Client.CombineAsync(combine); // warm-up
    long rssStart = server.ResidentKiB();

    var encodeLatencies = new ConcurrentBag<double>();
    var combineLatencies = new ConcurrentBag<double>();
    var errors = new ConcurrentDictionary<string, int>();
    void Error(string what) => errors.AddOrUpdate(what, 1, (_, n) => n + 1);
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(durationS));
    var clock = Stopwatch.StartNew();
    var rssSamples = new List<(double Seconds, long KiB)> { (0, rssStart) };

    var workers = new List<Task>();
    for (int s = 0; s < streams; s++)
    {
        int stream = s;
        workers.Add(Task.Run(() => StreamWorkerAsync(server.Client, stream, inFlight, stop.Token, encodeLatencies, Error)));
    }
    for (int c = 0; c < combiners; c++)
    {
        workers.Add(Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                long started = Stopwatch.GetTimestamp();
                try
                {
                    var answer = await server.Client.CombineAsync(combine, LaitChannel.WithTimeout(TimeSpan.FromSeconds(60)));
                    combineLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (Segments.Fingerprint(answer) != reference) Error("Combine: wrong answer");
                }
                catch (RpcException e)
                {
                    Error($"Combine: {e.StatusCode} {e.Status.Detail}");
                }
            }
        }));
    }
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, durationS / 10)), stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            lock (rssSamples) rssSamples.Add((clock.Elapsed.TotalSeconds, server.ResidentKiB()));
            Console.WriteLine($"  {clock.Elapsed.TotalSeconds:F0} s: {encodeLatencies.Count} acknowledged, {combineLatencies.Count} combines, RSS {rssSamples[^1].KiB / 1024.0:F0} MiB");
        }
    });
    await Task.WhenAll(workers);
    double seconds = clock.Elapsed.TotalSeconds;
    await sampler;
    long rssEnd = server.ResidentKiB();
    // After the load: a forced-idle second, then RSS again (what is left once the queues drain).
    await Task.Delay(1000);
    long rssIdle = server.ResidentKiB();

    var encode = encodeLatencies.ToArray();
    var combined = combineLatencies.ToArray();
    int errorCount = errors.Values.Sum();
    Console.WriteLine($"duration {seconds:F1} s");
    Console.WriteLine($"EncodeSegment: {encode.Length} acknowledged, {encode.Length / seconds:F0} segments/s, latency p50 {Percentile(encode, 0.50):F1} ms, p99 {Percentile(encode, 0.99):F1} ms");
    Console.WriteLine($"Combine (claim + 8 evidence): {combined.Length} calls, {combined.Length / seconds:F1} calls/s, latency p50 {Percentile(combined, 0.50):F1} ms, p99 {Percentile(combined, 0.99):F1} ms");
    Console.WriteLine($"errors: {errorCount}{(errorCount > 0 ? " (" + string.Join("; ", errors.Select(kv => $"{kv.Key} x{kv.Value}")) + ")" : "")}");
    long rssHalf = rssSamples.Where(r => r.Seconds >= seconds / 2).Select(r => r.KiB).DefaultIfEmpty(rssEnd).First();
    Console.WriteLine($"server RSS growth over the second half of the run: {(rssEnd - rssHalf) / 1024.0:F0} MiB (store log capped at {storeMemoryMiB} MiB)");
    Console.WriteLine($"server RSS: start {rssStart / 1024.0:F0} MiB, end {rssEnd / 1024.0:F0} MiB, idle 1 s later {rssIdle / 1024.0:F0} MiB; samples " +
                      string.Join(", ", rssSamples.Select(r => $"{r.Seconds:F0}s={r.KiB / 1024.0:F0}")));
    bool stalled = seconds > durationS + 30;
    if (stalled) Console.WriteLine($"STALL: the workers needed {seconds - durationS:F0} s beyond the run's end to get their last acknowledgements");
    if (errorCount > 0 || stalled) Console.WriteLine("server log (tail):\n" + Tail(server.Log));
    return errorCount == 0 && !stalled;
}

static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];

static async Task StreamWorkerAsync(LaitClient client, int stream, int inFlight, CancellationToken stop, ConcurrentBag<double> latencies, Action<string> error)
{
    var random = new Random(1000 + stream);
    // A stream is reopened every 500 segments, so stream set-up and tear-down are part of the load.
    for (int round = 0; !stop.IsCancellationRequested; round++)
    {
        try
        {
            using var call = client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromMinutes(11)));
            var sent = new ConcurrentQueue<long>();
            using var window = new SemaphoreSlim(inFlight);
            var reader = Task.Run(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    var ack = call.ResponseStream.Current;
                    sent.TryDequeue(out long started);
                    window.Release();
                    if (ack.Error is not null) error($"EncodeSegment ack: {(StatusCode)ack.Error.Code} {ack.Error.Message}");
                    else latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            });
            for (int i = 0; i < 500 && !stop.IsCancellationRequested; i++)
            {
                try
                {
                    await window.WaitAsync(stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                sent.Enqueue(Stopwatch.GetTimestamp());
                await call.RequestStream.WriteAsync(Segments.Request($"s{stream} r{round} {i} {Segments.Sentence(random, 8 + random.Next(16))}"));
            }
            await call.RequestStream.CompleteAsync();
            await reader;
        }
        catch (RpcException e)
        {
            error($"EncodeSegment stream: {e.StatusCode} {e.Status.Detail}");
        }
    }
}

async Task<bool> RunCrashAsync()
{
    using var dir = new TempDirectory();
    Console.WriteLine($"crash: {cycles} kill -9 cycles, 4 ingest streams, durable FASTER store, fp32 states");
    var clock = Stopwatch.StartNew();
    var report = await CrashCycles.RunAsync(dir.Path, cycles, streams: 4, seed: 2026, log: Console.WriteLine);
    Console.WriteLine($"crash: {report.Cycles} cycles in {clock.Elapsed.TotalSeconds:F0} s, {report.Acknowledged} segments acknowledged, " +
                      $"{report.Missing} missing after restarts, {report.CombineMismatches} Combine answers changed");
    foreach (var problem in report.Problems) Console.WriteLine("PROBLEM " + problem);
    return report.Problems.Count == 0;
}

static double Percentile(double[] values, double p)
{
    if (values.Length == 0) return double.NaN;
    Array.Sort(values);
    return values[Math.Min(values.Length - 1, (int)Math.Ceiling(p * values.Length) - 1)];
}

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
