using System.Collections.Concurrent;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;
using TmpfsFactAttribute = Lait.Store.Tests.Support.TmpfsFactAttribute;
using TmpfsMount = Lait.Store.Tests.Support.TmpfsMount;

namespace Lait.Reliability.Tests;

/// <summary>A store directory on a small real filesystem that fills up while the server ingests.</summary>
public class StoreFullTests
{
    // Hung intermittently before FasterTable admitted one writer at a time (the same thread-pool
    // starvation as StoreMemoryTests).
    [TmpfsFact]
    public async Task FullDiskGivesResourceExhaustedAcksAndEveryAcknowledgedSegmentSurvivesARestart()
    {
        using var dir = new TempDirectory();
        // The store refuses writes while free space is above its floor (64 MiB + memory budget + index):
        // here 64 + 16 + 2 x 16 = 112 MiB, so a 132 MiB tmpfs leaves room for about a thousand 16 KB states.
        using var disk = TmpfsMount.TryCreate(132L << 20) ?? throw new InvalidOperationException("tmpfs mount failed");
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options(Hidden: 128, Heads: 4, Intermediate: 256));
        string[] args = ["--model-dir", model, "--store-dir", Path.Combine(disk.Path, "store"), "--codec", "fp32", "--store-memory-bytes", (16 << 20).ToString()];
        var acknowledged = new ConcurrentBag<string>();
        var errors = new ConcurrentBag<ItemError>();
        await using (var server = await ServerProcess.StartAsync(args))
        {
            // One stream (few enough not to hit the store-memory stall, see StoreMemoryTests) write until refused.
            var writers = Enumerable.Range(0, 1).Select(s => Task.Run(async () =>
            {
                var random = new Random(s);
                for (int round = 0; round < 40 && errors.IsEmpty; round++)
                {
                    var acks = await Segments.EncodeAsync(server.Client,
                        Enumerable.Range(0, 100).Select(i => ($"f{s} {round} {i} {Segments.Sentence(random, 28)}", Role.Other)), TimeSpan.FromSeconds(60));
                    foreach (var ack in acks)
                    {
                        if (ack.Error is null) acknowledged.Add(ack.SegmentId);
                        else errors.Add(ack.Error);
                    }
                }
            })).ToArray();
            await Task.WhenAll(writers);

            Assert.False(errors.IsEmpty, $"the disk never filled: {acknowledged.Count} segments acknowledged");
            Assert.All(errors, e =>
            {
                Assert.Equal((int)StatusCode.ResourceExhausted, e.Code);
                Assert.Contains("segment store full", e.Message);
            });
            Assert.True(!acknowledged.IsEmpty, "nothing was acknowledged before the store was full: " + errors.First().Message);
            // Reads go on while writes are refused.
            Assert.Empty(await Segments.MissingAsync(server.Client, acknowledged.Distinct().ToList()));
            Assert.Equal(0, await server.StopAsync());
        }

        // No corruption: after a restart on the same (still nearly full) disk every acknowledged segment is there.
        await using (var restarted = await ServerProcess.StartAsync(args))
        {
            Assert.Empty(await Segments.MissingAsync(restarted.Client, acknowledged.Distinct().ToList()));
            var combine = Segments.Verify([]);
            combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "the sky is blue ." } });
            combine.Segments.Add(new SegmentRef { SegmentId = acknowledged.First() });
            Assert.Equal(3, (await restarted.Client.CombineAsync(combine)).ClaimVerification.VerdictScores.Count);
        }
    }
}
