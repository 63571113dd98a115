using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lait.Store;
using Lait.Store.Bench;
using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.Ids;
using Lait.Store.Redis;

// Store benchmark, bounded: every phase stops at its op count or its time budget, whichever is first.
//   dotnet run -c Release --project bench/Lait.Bench.Store [-- --quick] [--redis host:port] [--concurrency N]
// Without --redis it starts a private redis-server (no persistence) on 127.0.0.1 and stops it at the end.
bool quick = args.Contains("--quick");
string? redisConfig = args.SkipWhile(a => a != "--redis").Skip(1).FirstOrDefault();
var phaseBudget = TimeSpan.FromSeconds(quick ? 2 : 5);
var shapes = new[] { (Tokens: 32, Hidden: 384, Count: quick ? 1000 : 3000), (Tokens: 128, Hidden: 768, Count: quick ? 200 : 600) };
int Concurrency = int.Parse(args.SkipWhile(a => a != "--concurrency").Skip(1).FirstOrDefault() ?? "16");
const int BatchIds = 32;

Console.WriteLine($"# Store benchmark  {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine($"codec fp16; puts with {Concurrency} in flight; gets: single id, and batches of {BatchIds} ids (one Combine) with {Concurrency} in flight");
Console.WriteLine();
Console.WriteLine("| backend | state | phase | ops | ops/s | MB/s | p50 ms | p99 ms |");
Console.WriteLine("|---|---|---|---:|---:|---:|---:|---:|");

using var redisProcess = redisConfig is null ? PrivateRedis.Start(out redisConfig) : null;
var root = Path.Combine(Path.GetTempPath(), $"lait-bench-store-{Guid.NewGuid():N}");
try
{
    foreach (var (tokens, hidden, count) in shapes)
    {
        var states = Enumerable.Range(0, count).Select(i => BenchStates.Make(i, tokens, hidden)).ToArray();
        var ids = states.Select(s => s.Key.ComputeId()).ToArray();
        int recordBytes = StateRecord.EncodedLength(states[0], StateCodec.Fp16);
        string shape = $"{tokens}x{hidden} ({recordBytes / 1024.0:0.#} KB)";

        // Durable mode: puts only (each waits for a group commit). Checkpoint mode: puts, then hot gets with
        // everything in memory, then cold gets after a reopen with 4 MiB of log memory (4 x 1 MiB pages) and no read
        // cache, so most reads go to the log file. The OS page cache may still hold that file: this is
        // FASTER-cold, not device-cold.
        foreach (var durability in new[] { DurabilityMode.Durable, DurabilityMode.Checkpoint })
        {
            var dir = Path.Combine(root, $"{tokens}x{hidden}-{durability}");
            FasterStoreOptions Options(long memory) => new()
            {
                Directory = dir, Durability = durability, Codec = StateCodec.Fp16, PageSizeBits = 20,
                MemoryBytes = memory, ReadCacheBytes = 0, IndexBytes = 16L << 20,
            };
            string name = durability == DurabilityMode.Durable ? "FASTER durable" : "FASTER checkpoint";
            SegmentId[] stored;
            await using (var store = new FasterSegmentStore(Options(1L << 30)))
            {
                var put = await Bench.PutAsync(store, states, Concurrency, phaseBudget);
                Report(name, shape, "put", put, recordBytes);
                if (durability == DurabilityMode.Durable)
                    continue;
                stored = ids[..put.Ops]; // a phase may stop at its time budget: read only what was stored
                Report(name, shape, "get hot, 1 id", await Bench.GetAsync(store, stored, 1, Concurrency, phaseBudget), recordBytes);
                Report(name, shape, $"get hot, {BatchIds} ids", await Bench.GetAsync(store, stored, BatchIds, Concurrency, phaseBudget), recordBytes);
            }
            await using (var store = new FasterSegmentStore(Options(4L << 20)))
            {
                string cold = $"get cold ({stored.Length * (long)recordBytes >> 20} MiB stored)";
                Report(name, shape, cold + ", 1 id", await Bench.GetAsync(store, stored, 1, Concurrency, phaseBudget), recordBytes);
                Report(name, shape, cold + $", {BatchIds} ids", await Bench.GetAsync(store, stored, BatchIds, Concurrency, phaseBudget), recordBytes);
            }
        }

        await using (var redis = await RedisSegmentStore.ConnectAsync(new RedisStoreOptions
        {
            Configuration = redisConfig!, KeyPrefix = $"bench{tokens}x{hidden}", Codec = StateCodec.Fp16, Timeout = TimeSpan.FromSeconds(10),
        }))
        {
            var put = await Bench.PutAsync(redis, states, Concurrency, phaseBudget);
            Report("Redis", shape, "put", put, recordBytes);
            var stored = ids[..put.Ops];
            Report("Redis", shape, "get hot, 1 id", await Bench.GetAsync(redis, stored, 1, Concurrency, phaseBudget), recordBytes);
            Report("Redis", shape, $"get hot, {BatchIds} ids", await Bench.GetAsync(redis, stored, BatchIds, Concurrency, phaseBudget), recordBytes);
        }
    }
}
finally
{
    try
    {
        Directory.Delete(root, recursive: true);
    }
    catch (IOException)
    {
    }
}
return 0;

static void Report(string backend, string shape, string phase, Bench.Result r, int recordBytes)
{
    double seconds = r.Elapsed.TotalSeconds;
    Console.WriteLine($"| {backend} | {shape} | {phase} | {r.Ops} | {r.Ops / seconds:0} | {r.States * (double)recordBytes / seconds / 1e6:0.0} | " +
        $"{r.Percentile(0.50):0.00} | {r.Percentile(0.99):0.00} |");
}

namespace Lait.Store.Bench
{
    internal static class BenchStates
    {
        public static SegmentState Make(int seed, int tokens, int hidden)
        {
            var rng = new Random(seed);
            var ids = new int[tokens];
            for (int i = 0; i < tokens; i++)
                ids[i] = rng.Next(1000, 30_000);
            ids[0] = seed;
            var values = new float[tokens * hidden];
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)(rng.NextDouble() * 4 - 2);
            return new SegmentState(new SegmentKey("bench-model", 3, "bench-vocab", PositionMode.PerSegment, SegmentRole.Other, ids), hidden, values);
        }
    }

    internal static class Bench
    {
        public sealed record Result(int Ops, int States, TimeSpan Elapsed, double[] LatenciesMs)
        {
            public double Percentile(double p)
            {
                if (LatenciesMs.Length == 0)
                    return double.NaN;
                var sorted = LatenciesMs.Order().ToArray();
                return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            }
        }

        public static async Task<Result> PutAsync(ISegmentStore store, SegmentState[] states, int concurrency, TimeSpan budget)
        {
            int next = -1;
            var latencies = new double[states.Length];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < states.Length && clock.Elapsed < budget)
                {
                    long start = Stopwatch.GetTimestamp();
                    await store.PutAsync(states[i]);
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            })));
            var elapsed = clock.Elapsed;
            var measured = latencies.Where(l => l > 0).ToArray();
            return new Result(measured.Length, measured.Length, elapsed, measured);
        }

        public static async Task<Result> GetAsync(ISegmentStore store, SegmentId[] ids, int batch, int concurrency, TimeSpan budget)
        {
            var latencies = new List<double>[concurrency];
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
            {
                var rng = new Random(w);
                var mine = latencies[w] = new List<double>();
                var request = new SegmentId[batch];
                while (clock.Elapsed < budget && mine.Count < 20_000)
                {
                    for (int j = 0; j < batch; j++)
                        request[j] = ids[rng.Next(ids.Length)];
                    long start = Stopwatch.GetTimestamp();
                    var result = await store.GetManyAsync(request);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (result.Missing.Count > 0)
                        throw new InvalidOperationException($"{result.Missing.Count} ids missing in the benchmark");
                }
            })));
            var elapsed = clock.Elapsed;
            var all = latencies.SelectMany(l => l).ToArray();
            return new Result(all.Length, all.Length * batch, elapsed, all);
        }
    }

    /// <summary>A redis-server on 127.0.0.1 with a free port, no persistence; killed on dispose.</summary>
    internal sealed class PrivateRedis : IDisposable
    {
        private readonly Process _process;
        private readonly string _dir;

        private PrivateRedis(Process process, string dir)
        {
            _process = process;
            _dir = dir;
        }

        public static PrivateRedis Start(out string configuration)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            var dir = Path.Combine(Path.GetTempPath(), $"lait-bench-redis-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dir);
            var info = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no" })
                info.ArgumentList.Add(a);
            var process = Process.Start(info)!;
            process.BeginOutputReadLine();
            for (int i = 0; i < 200; i++)
            {
                try
                {
                    using var c = new TcpClient();
                    c.Connect(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException)
                {
                    Thread.Sleep(25);
                }
            }
            configuration = $"127.0.0.1:{port}";
            return new PrivateRedis(process, dir);
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
