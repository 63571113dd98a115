using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;

namespace Lait.Reliability.Tests;

/// <summary>Ingestion once the FASTER log outgrows its in-memory budget, with many streams at once.</summary>
public class StoreMemoryTests
{
    // Was a freeze of 90-200 s: every thread-pool worker spun inside FASTER's synchronous Upsert while
    // the log waited for page flushes whose completions needed a pool thread (FasterTable now admits
    // one writer at a time).
    [Fact]
    public async Task ManyStreamsFillingTheStoreMemoryBudgetAreAllAcknowledged()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--codec", "fp32",
            "--store-memory-bytes", (4 << 20).ToString(), "--max-concurrent-streams", "80");

        // 64 streams x 150 segments of ~2 KB states each: about 20 MB, five times the in-memory budget.
        var streams = Enumerable.Range(0, 64).Select(s => Task.Run(async () =>
        {
            var random = new Random(s);
            return await Segments.EncodeAsync(server.Client,
                Enumerable.Range(0, 150).Select(i => ($"m{s} {i} {Segments.Sentence(random, 12)}", Role.Other)), TimeSpan.FromSeconds(60));
        })).ToArray();
        var results = await Task.WhenAll(streams);

        Assert.All(results, acks =>
        {
            Assert.Equal(150, acks.Count);
            Assert.All(acks, a => Assert.Null(a.Error));
        });
        var combine = Segments.Verify([results[0][0].SegmentId, results[1][0].SegmentId]);
        combine.Segments[0] = new SegmentRef { Inline = new SegmentInput { Text = "the sky is blue ." } };
        var answer = await server.Client.CombineAsync(combine, LaitChannel.WithTimeout(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, answer.ClaimVerification.VerdictScores.Count);
    }
}
