using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Lait.Engine.Checkpoints;
using Lait.Engine.Config;
using Lait.Engine.Kernels;
using Lait.Engine.Model;

namespace Lait.Bench.Engine;

/// <summary>
/// Engine vs PyTorch on the same random weights and inputs (bench/run-engine-bench.sh runs both sides).
/// Usage: Lait.Bench.Engine BENCH_DIR [--iterations N] [--threads T] [--scenario TEXT] [--no-openblas | --openblas-only] [--gemm-only] [--components]
/// </summary>
public static class Program
{
    /// <summary>GFLOP/s per core, measured at start with the run's thread count (the machine kind changes between sessions).</summary>
    private static double PeakPerCore;

    public static int Main(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: Lait.Bench.Engine BENCH_DIR [--iterations N] [--threads T]");
            return 2;
        }

        string dir = args[0];
        int iterations = ArgInt(args, "--iterations", 15);
        int threads = ArgInt(args, "--threads", 2);
        string scenarioFilter = ArgString(args, "--scenario", "");
        // --openblas-only / --no-openblas: separate processes, so that OpenBLAS's threads cannot disturb the managed runs.
        bool withManaged = !args.Contains("--openblas-only");
        bool withOpenBlas = !args.Contains("--no-openblas") && OpenBlasGemm.IsAvailable;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        PeakPerCore = FmaPeak.MeasurePerCore(threads);
        double peak = PeakPerCore * threads;
        Console.WriteLine($"# Engine benchmark  threads={threads}  measured FMA peak={PeakPerCore:F0} GFLOP/s per core ({peak:F0} for {threads})  OPENBLAS_CORETYPE={(Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)")}");
        Console.WriteLine($"# {DateTime.UtcNow:u}  load average: {File.ReadAllText("/proc/loadavg").Trim()}  CPU: {CpuModel()}");

        GemmMicroBench(threads, peak, withOpenBlas, withManaged);
        if (args.Contains("--components"))
        {
            ComponentBench(threads);
            return 0;
        }

        if (args.Contains("--gemm-only"))
        {
            return 0;
        }

        using JsonDocument inputs = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "inputs.json")));
        string torchFile = ArgString(args, "--torch", "torch_results.json");
        using JsonDocument torch = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, torchFile)));
        Console.WriteLine($"# torch results: {torchFile}");
        var backends = new List<GemmBackend>();
        if (withManaged)
        {
            backends.Add(GemmBackend.Auto);
        }

        if (withOpenBlas)
        {
            backends.Add(GemmBackend.OpenBlas);
        }

        Console.WriteLine();
        Console.WriteLine("Wall = median wall-clock ms; CPU = median process CPU ms per call (all threads, spinning included).");
        Console.WriteLine("Torch: the torch settings timed in the results file (columns 1 thr / 2 thr); ratios use the faster one.");
        Console.WriteLine($"Efficiency = FLOPs / engine CPU-seconds / {PeakPerCore:F0} GFLOP/s (per-core FMA peak measured above): robust to a shared machine.");
        Console.WriteLine();
        Console.WriteLine("| scenario | part | GEMM | engine wall ms | torch wall ms (1 thr / 2 thr) | wall speed-up | engine CPU ms | torch CPU ms | CPU speed-up | GFLOP per CPU-s | efficiency |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        var byModel = inputs.RootElement.EnumerateObject().Where(p => p.Name.Contains(scenarioFilter, StringComparison.Ordinal)).GroupBy(p => p.Value.GetProperty("model").GetString()!);
        foreach (var group in byModel)
        {
            string modelDir = Path.Combine(dir, group.Key);
            EncoderConfig stock = EncoderConfigReader.FromDirectory(modelDir);
            IReadOnlyDictionary<string, LoadedTensor> tensors = CheckpointLoader.LoadDirectory(modelDir);
            var source = new DictionaryTensorSource(tensors.ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Values)));
            int p = stock.NumLayers / 2;
            foreach (GemmBackend backend in backends)
            {
                var options = new EngineOptions { Gemm = backend, Threads = threads };
                using LaitModel full = LaitModel.Create(stock with { TowerLayers = 0, PositionMode = PositionMode.Continuous }, source, "bench", options);
                using LaitModel split = LaitModel.Create(stock with { TowerLayers = p, PositionMode = PositionMode.PerSegment }, source, "bench", options);
                foreach (JsonProperty scenario in group)
                {
                    int[][] ids = scenario.Value.GetProperty("ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
                    int half = scenario.Value.GetProperty("split").GetInt32();
                    int seq = ids[0].Length;
                    var fullBatch = ids.Select(r => (IReadOnlyList<Segment>)[Segment.First(r[..half]), Segment.Other(r[half..], half)]).ToArray();
                    Segment[] segments = ids.Select(r => Segment.First(r[..half])).Concat(ids.Select(r => Segment.Other(r[half..]))).ToArray();
                    TowerState[] towers = split.Towers(segments);
                    var joints = Enumerable.Range(0, ids.Length).Select(i => (IReadOnlyList<TowerState>)[towers[i], towers[ids.Length + i]]).ToArray();

                    int iters = seq * ids.Length <= 256 ? iterations : Math.Max(5, iterations / 3);
                    var parts = new (string Name, Action Run, double Flops)[]
                    {
                        ("full", () => full.Encode(fullBatch), Flops(stock, 0, stock.NumLayers, ids.Length, [seq])),
                        ($"tower P={p}", () => split.Towers(segments), Flops(stock, 0, p, ids.Length, [half, seq - half])),
                        ($"joint L-P={stock.NumLayers - p}", () => split.Joint(joints), Flops(stock, p, stock.NumLayers, ids.Length, [seq])),
                    };
                    string[] torchKeys = ["full", "tower", "joint"];
                    for (int k = 0; k < parts.Length; k++)
                    {
                        var (ms, cpuMs) = MeasureWarm(parts[k].Run, iters);
                        double t1 = TorchMs(torch, scenario.Name, 1, torchKeys[k], "median_ms");
                        double t2 = TorchMs(torch, scenario.Name, 2, torchKeys[k], "median_ms");
                        bool oneBest = !(t2 < t1);
                        double best = oneBest ? t1 : t2;
                        double torchCpu = TorchMs(torch, scenario.Name, oneBest ? 1 : 2, torchKeys[k], "cpu_ms");
                        double gflopsPerCpu = parts[k].Flops / cpuMs / 1e6;
                        Console.WriteLine($"| {scenario.Name} | {parts[k].Name} | {full.GemmBackend} | {ms:F2} | {t1:F2} / {t2:F2} | {best / ms:F2}x | {cpuMs:F2} | {torchCpu:F2} | {torchCpu / cpuMs:F2}x | {gflopsPerCpu:F0} | {100 * gflopsPerCpu / PeakPerCore:F0}% |");
                    }
                }
            }
        }

        return 0;
    }

    /// <summary>FLOPs of layers [from, to) over a batch: linear layers plus the two attention matmuls per sequence.</summary>
    private static double Flops(EncoderConfig c, int from, int to, int batch, int[] sequenceLengths)
    {
        double h = c.HiddenSize;
        double i = c.IntermediateSize;
        double tokens = batch * sequenceLengths.Sum();
        double attention = batch * sequenceLengths.Sum(n => 4.0 * n * n * h);
        return (to - from) * (2 * tokens * (4 * h * h + 2 * h * i) + attention);
    }

    private static double TorchMs(JsonDocument torch, string scenario, int threads, string part, string metric) =>
        torch.RootElement.GetProperty("results").TryGetProperty($"{scenario} torch_threads={threads}", out JsonElement r)
            && r.GetProperty(part).TryGetProperty(metric, out JsonElement v) ? v.GetDouble()
            : double.NaN;

    /// <summary>Median wall-clock ms and median process CPU ms per call (CPU time is robust to a shared machine when threads = 1).</summary>
    private static (double WallMs, double CpuMs) Measure(Action run, int iterations)
    {
        for (int i = 0; i < 3; i++)
        {
            run();
        }

        var wall = new double[iterations];
        var cpu = new double[iterations];
        for (int i = 0; i < iterations; i++)
        {
            double c0 = ProcessCpuMs();
            long t0 = Stopwatch.GetTimestamp();
            run();
            wall[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            cpu[i] = ProcessCpuMs() - c0;
        }

        Array.Sort(wall);
        Array.Sort(cpu);
        return (wall[iterations / 2], cpu[iterations / 2]);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CLOCK_PROCESS_CPUTIME_ID (ns resolution), the clock Python's time.process_time() reads.</summary>
    private static double ProcessCpuMs()
    {
        _ = ClockGetTime(2, out TimeSpec t);
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }

    private static double Median(Action run, int iterations) => Measure(run, iterations).WallMs;

    private static unsafe void GemmMicroBench(int threads, double peak, bool withOpenBlas, bool withManaged)
    {
        Console.WriteLine();
        Console.WriteLine($"| GEMM m x k -> n | backend | wall ms | GFLOP/s (wall) | % of {threads}-core peak (wall) | GFLOP per CPU-s | efficiency (CPU) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        (int M, int K, int N)[] shapes = [(128, 384, 1152), (128, 384, 1536), (128, 1536, 384), (2048, 384, 1536), (256, 768, 3072), (256, 3072, 768)];
        var backends = withManaged ? new List<GemmBackend> { GemmBackend.Avx512, GemmBackend.Avx2 } : [];
        if (withOpenBlas)
        {
            backends.Add(GemmBackend.OpenBlas);
            OpenBlasGemm.SetThreads(threads);
            Console.WriteLine($"# OpenBLAS kernels: {OpenBlasGemm.CoreName ?? "(unknown)"}");
        }

        using var pool = new WorkerPool(threads);
        foreach (var (m, k, n) in shapes)
        {
            float[] a = GC.AllocateArray<float>(m * k, pinned: true);
            float[] w = new float[n * k];
            float[] c = GC.AllocateArray<float>(m * n, pinned: true);
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (i % 17) * 0.01f;
            }

            for (int i = 0; i < w.Length; i++)
            {
                w[i] = (i % 13) * 0.01f;
            }

            foreach (GemmBackend backend in backends)
            {
                GemmKernel gemm;
                try
                {
                    gemm = GemmKernel.Create(backend);
                }
                catch (PlatformNotSupportedException)
                {
                    continue;
                }

                LinearWeight prepared = gemm.Prepare(w, n, k, default);
                fixed (float* pa = a)
                fixed (float* pc = c)
                {
                    float* ca = pa;
                    float* cc = pc;
                    int iters = Math.Max(5, (int)(2e9 / (2.0 * m * n * k)));
                    var (ms, cpuMs) = Measure(() => gemm.Linear(ca, m, prepared, cc, pool), iters);
                    double gflops = 2.0 * m * n * k / ms / 1e6;
                    double perCpu = 2.0 * m * n * k / cpuMs / 1e6;
                    Console.WriteLine($"| {m} x {k} -> {n} | {backend} | {ms:F3} | {gflops:F0} | {100 * gflops / peak:F0}% | {perCpu:F0} | {100 * perCpu / PeakPerCore:F0}% |");
                }
            }
        }
    }

    /// <summary>Runs <paramref name="run"/> for about a second first so the tiered JIT has promoted everything it calls.</summary>
    private static (double WallMs, double CpuMs) MeasureWarm(Action run, int iterations)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < 1000)
        {
            run();
        }

        return Measure(run, iterations);
    }

    /// <summary>CPU ms per call of the non-GEMM kernels of one 6x384 layer at seq 128 (where the rest of a forward goes).</summary>
    private static unsafe void ComponentBench(int threads)
    {
        const int n = 128, h = 384, inter = 1536, heads = 12;
        using var pool = new WorkerPool(threads);
        float[] qkv = GC.AllocateArray<float>(n * 3 * h, pinned: true);
        float[] ctx = GC.AllocateArray<float>(n * h, pinned: true);
        float[] ffn = GC.AllocateArray<float>(n * inter, pinned: true);
        float[] x = GC.AllocateArray<float>(n * h, pinned: true);
        float[] gamma = new float[h];
        float[] beta = new float[h];
        var rng = new Random(3);
        foreach (float[] a in new[] { qkv, ffn, x, gamma })
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)(rng.NextDouble() - 0.5);
            }
        }

        var attention = new Attention(GemmKernel.BestManaged(GemmBackend.Auto), heads, h / heads, pool.WorkerCount);
        int[] starts = [0];
        int[] lengths = [n];
        fixed (float* pq = qkv)
        fixed (float* pc = ctx)
        {
            float* q = pq;
            float* c = pc;
            Report("attention 1 x 128, 12 heads", MeasureWarm(() => attention.Run(q, c, starts, lengths, 1, pool, headMajor: true), 200));
        }

        float[] scores = GC.AllocateArray<float>(n * n, pinned: true);
        Report("softmax 12 heads x 128 rows of 128", MeasureWarm(() =>
        {
            for (int head = 0; head < heads; head++)
            {
                Normalization.ScaledSoftmaxRows(scores, n, n, 0.17f);
            }
        }, 200));
        var managed = GemmKernel.BestManaged(GemmBackend.Auto);
        float[] packed = GC.AllocateArray<float>(managed.PackedSize(n, h), pinned: true);
        fixed (float* pq = qkv)
        fixed (float* pp = packed)
        fixed (float* ps = scores)
        {
            float* q = pq;
            float* pk = pp;
            float* sc = ps;
            Report("pack K^T + V, 12 heads", MeasureWarm(() =>
            {
                for (int hh = 0; hh < heads; hh++)
                {
                    // Head hh's Q, K, V are 32 values each at hh * 96 in every row (the engine's QKV layout).
                    managed.PackTransposed(q + hh * 96 + 32, 3 * h, 32, n, pk, managed.PanelWidth);
                    managed.Pack(q + hh * 96 + 64, 3 * h, n, 32, pk);
                }
            }, 200));
            Report("QK^T + PV matmuls, 12 heads", MeasureWarm(() =>
            {
                for (int hh = 0; hh < heads; hh++)
                {
                    managed.Multiply(q + hh * 96, 3 * h, 0, n, pk, 32, n, 0, n / 32, null, sc, n);
                    managed.Multiply(sc, n, 0, n, pk, n, 32, 0, 1, null, q + hh * 96, 3 * h);
                }
            }, 200));
        }

        Report("GELU 128 x 1536", MeasureWarm(() => Activations.Gelu(ffn), 200));
        Report("add+LayerNorm 128 x 384", MeasureWarm(() =>
        {
            for (int r = 0; r < n; r++)
            {
                Normalization.AddLayerNorm(x.AsSpan(r * h, h), ctx.AsSpan(r * h, h), gamma, beta, 1e-12f, ctx.AsSpan(r * h, h));
            }
        }, 200));

        static void Report(string what, (double WallMs, double CpuMs) r) => Console.WriteLine($"| {what} | {r.WallMs:F3} ms wall | {r.CpuMs:F3} ms CPU |");
    }

    private static string CpuModel()
    {
        string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
    }

    private static string ArgString(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private static int ArgInt(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
