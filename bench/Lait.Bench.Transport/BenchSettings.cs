using System.Globalization;

namespace Lait.Bench.Transport;

/// <summary>Sizes and counts, the same for both clients. Counts are bounded so a run takes seconds.</summary>
public sealed record BenchSettings(int UnaryCalls, int Warmup, int SmallBytes, IReadOnlyList<(int Size, int Count)> Streams)
{
    public static BenchSettings Parse(string[] args)
    {
        int unary = 2000;
        int warmup = 300;
        bool quick = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--unary": unary = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--quick": quick = true; break;
                default: throw new ArgumentException($"unknown argument {args[i]} (use --unary N, --warmup N, --quick)");
            }
        }

        (int, int)[] streams = quick ? [(1024, 2000), (65536, 100)] : [(1024, 20000), (65536, 1000)];
        return new BenchSettings(quick ? Math.Min(unary, 300) : unary, quick ? Math.Min(warmup, 50) : warmup, 16, streams);
    }
}

/// <summary>One client's numbers: sorted unary latencies and the time of each streaming case.</summary>
public sealed record BenchResult(double[] UnaryMicros, IReadOnlyList<StreamTiming> ServerStreams, IReadOnlyList<StreamTiming> Bidis);

public sealed record StreamTiming(int Size, int Count, double Seconds)
{
    public double MessagesPerSecond => Count / Seconds;

    /// <summary>Payload megabytes (10^6) delivered to the client per second.</summary>
    public double MegabytesPerSecond => (double)Size * Count / Seconds / 1e6;
}
