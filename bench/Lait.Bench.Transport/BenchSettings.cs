using System.Globalization;

namespace Lait.Bench.Transport;

/// <summary>Sizes and counts, the same for both clients. Counts are bounded so a run takes seconds.</summary>
public sealed record BenchSettings(int UnaryCalls, int Warmup, int Rounds, int SmallBytes, IReadOnlyList<(int Size, int Count)> Streams)
{
    public static BenchSettings Parse(string[] args)
    {
        int unary = 2000;
        int warmup = 300;
        int rounds = 3;
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--unary": unary = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = Math.Max(1, int.Parse(args[++i], CultureInfo.InvariantCulture)); break;
                case "--quick": quick = true; break;
                default: throw new ArgumentException($"unknown argument {args[i]} (use --unary N, --warmup N, --rounds N, --quick)");
            }
        }

        (int, int)[] streams = quick ? [(1024, 2000), (65536, 100)] : [(1024, 20000), (65536, 1000)];
        return new BenchSettings(quick ? Math.Min(unary, 300) : unary, quick ? Math.Min(warmup, 50) : warmup, quick ? 1 : rounds, 16, streams);
    }
}

/// <summary>One client's numbers: sorted unary latencies and the time of each streaming case.</summary>
public sealed record BenchResult(double[] UnaryMicros, IReadOnlyList<StreamTiming> ServerStreams, IReadOnlyList<StreamTiming> Bidis)
{
    /// <summary>Rounds combined: unary latencies pooled (then sorted), each streaming case's median time.</summary>
    public static BenchResult Median(IReadOnlyList<BenchResult> rounds)
    {
        double[] unary = rounds.SelectMany(r => r.UnaryMicros).ToArray();
        Array.Sort(unary);
        return new BenchResult(unary, MedianTimings(rounds, r => r.ServerStreams), MedianTimings(rounds, r => r.Bidis));
    }

    private static List<StreamTiming> MedianTimings(IReadOnlyList<BenchResult> rounds, Func<BenchResult, IReadOnlyList<StreamTiming>> pick)
    {
        var result = new List<StreamTiming>();
        for (int i = 0; i < pick(rounds[0]).Count; i++)
        {
            double[] seconds = rounds.Select(r => pick(r)[i].Seconds).Order().ToArray();
            StreamTiming first = pick(rounds[0])[i];
            result.Add(first with { Seconds = seconds[seconds.Length / 2] });
        }

        return result;
    }
}

public sealed record StreamTiming(int Size, int Count, double Seconds)
{
    public double MessagesPerSecond => Count / Seconds;

    /// <summary>Payload megabytes (10^6) delivered to the client per second.</summary>
    public double MegabytesPerSecond => (double)Size * Count / Seconds / 1e6;
}
