using Lait.Reliability.Tests.Support;
using Lait.Testing;
using Xunit.Abstractions;

namespace Lait.Reliability.Tests;

/// <summary>SIGKILL during concurrent ingestion, restart on the same store (the long run: scripts/soak.sh).</summary>
public class CrashCycleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FiveKillNineCyclesDuringIngestionLoseNoAcknowledgedSegmentAndCombineAnswersIdentically()
    {
        using var dir = new TempDirectory();
        var report = await CrashCycles.RunAsync(dir.Path, cycles: 5, streams: 4, seed: 17, log: output.WriteLine);

        Assert.True(report.Problems.Count == 0, string.Join("\n", report.Problems));
        Assert.Equal(0, report.Missing);
        Assert.Equal(0, report.CombineMismatches);
        // The cycles really ingested something beyond the fixed set of five.
        Assert.True(report.Acknowledged > 5 + 5, $"only {report.Acknowledged} segments acknowledged over {report.Cycles} cycles");
    }
}
