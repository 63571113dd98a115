using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lait.Bench.Engine;

/// <summary>
/// The machine's FMA peak, measured rather than assumed: the project's machines have been AMD Zen 5 and
/// Intel Xeon (different clocks and FMA widths), and an efficiency against the wrong peak means nothing.
/// Twelve independent FMA chains per thread (more than latency x ports on either CPU), one thread per
/// core of the run, all at once, so the figure includes the frequency both cores hold together.
/// </summary>
internal static class FmaPeak
{
    private const int Chains = 12;

    /// <summary>GFLOP/s per core with <paramref name="threads"/> threads running FMAs together; best of five rounds of ~0.3 s.</summary>
    public static double MeasurePerCore(int threads)
    {
        long steps = 2_000_000;
        _ = Run(1000);
        double best = 0;
        for (int round = 0; round < 5; round++)
        {
            var workers = new Thread[threads];
            long start = Stopwatch.GetTimestamp();
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() => Run(steps));
                workers[t].Start();
            }

            foreach (Thread w in workers)
            {
                w.Join();
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (seconds < 0.2)
            {
                steps = (long)(steps * 0.3 / seconds);
                round--;
                continue;
            }

            best = Math.Max(best, steps * Chains * Width * 2.0 / seconds / 1e9);
        }

        return best;
    }

    private static int Width => Avx512F.IsSupported ? 16 : 8;

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run(long steps) => Avx512F.IsSupported ? Run512(steps) : Run256(steps);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run512(long steps)
    {
        Vector512<float> m = Vector512.Create(0.999999f), a = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < steps; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, m, a); c1 = Avx512F.FusedMultiplyAdd(c1, m, a);
            c2 = Avx512F.FusedMultiplyAdd(c2, m, a); c3 = Avx512F.FusedMultiplyAdd(c3, m, a);
            c4 = Avx512F.FusedMultiplyAdd(c4, m, a); c5 = Avx512F.FusedMultiplyAdd(c5, m, a);
            c6 = Avx512F.FusedMultiplyAdd(c6, m, a); c7 = Avx512F.FusedMultiplyAdd(c7, m, a);
            c8 = Avx512F.FusedMultiplyAdd(c8, m, a); c9 = Avx512F.FusedMultiplyAdd(c9, m, a);
            c10 = Avx512F.FusedMultiplyAdd(c10, m, a); c11 = Avx512F.FusedMultiplyAdd(c11, m, a);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Run256(long steps)
    {
        Vector256<float> m = Vector256.Create(0.999999f), a = Vector256.Create(1e-7f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (long i = 0; i < steps; i++)
        {
            c0 = Fma.MultiplyAdd(c0, m, a); c1 = Fma.MultiplyAdd(c1, m, a);
            c2 = Fma.MultiplyAdd(c2, m, a); c3 = Fma.MultiplyAdd(c3, m, a);
            c4 = Fma.MultiplyAdd(c4, m, a); c5 = Fma.MultiplyAdd(c5, m, a);
            c6 = Fma.MultiplyAdd(c6, m, a); c7 = Fma.MultiplyAdd(c7, m, a);
            c8 = Fma.MultiplyAdd(c8, m, a); c9 = Fma.MultiplyAdd(c9, m, a);
            c10 = Fma.MultiplyAdd(c10, m, a); c11 = Fma.MultiplyAdd(c11, m, a);
        }

        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).ToScalar();
    }
}
