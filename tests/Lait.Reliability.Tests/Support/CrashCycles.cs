using System.Collections.Concurrent;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Reliability.Tests.Support;

/// <summary>What one crash-cycle run saw.</summary>
public sealed record CrashCycleReport(int Cycles, int Acknowledged, int Missing, int CombineMismatches, IReadOnlyList<string> Problems);

/// <summary>
/// Crash cycles against a durable FASTER store: ingest from several concurrent EncodeSegment
/// streams, SIGKILL the server at a random moment, restart it on the same store directory, and
/// check that every acknowledged id is stored and that a Combine over a fixed set of ids answers
/// exactly as before the first crash (fp32 states, so bit-identical).
/// </summary>
public static class CrashCycles
{
    public static async Task<CrashCycleReport> RunAsync(string workDir, int cycles, int streams, int seed, Action<string>? log = null)
    {
        string model = TinyModelWriter.Write(Path.Combine(workDir, "tiny"), new TinyModelWriter.Options());
        string[] args = ["--model-dir", model, "--store-dir", Path.Combine(workDir, "store"), "--codec", "fp32", "--durability", "durable"];
        var random = new Random(seed);
        var acknowledged = new HashSet<string>();
        var problems = new List<string>();
        int missingTotal = 0, mismatches = 0;

        // The fixed set: a claim and four evidence sentences, stored before any crash.
        List<string> fixedIds;
        string reference;
        await using (var first = await ServerProcess.StartAsync(args))
        {
            var acks = await Segments.EncodeAsync(first.Client,
                [("the sky is blue .", Role.First), ("water is wet .", Role.Other), ("the sun is hot .", Role.Other),
                 ("paris is a city in france .", Role.Other), ("ice is cold .", Role.Other)]);
            if (acks.Any(a => a.Error is not null)) throw new InvalidOperationException("the fixed set was not stored: " + string.Join(", ", acks.Select(a => a.Error)));
            fixedIds = acks.Select(a => a.SegmentId).ToList();
            acknowledged.UnionWith(fixedIds);
            reference = Segments.Fingerprint(await first.Client.CombineAsync(Segments.Verify(fixedIds)));
            await first.KillAsync();
        }

        for (int cycle = 0; cycle <= cycles; cycle++)
        {
            await using var server = await ServerProcess.StartAsync(args);
            // Everything acknowledged before the last kill must be there.
            var missing = await Segments.MissingAsync(server.Client, acknowledged);
            missingTotal += missing.Count;
            if (missing.Count > 0) problems.Add($"cycle {cycle}: {missing.Count} of {acknowledged.Count} acknowledged ids missing after restart, e.g. {missing[0]}");
            string after = Segments.Fingerprint(await server.Client.CombineAsync(Segments.Verify(fixedIds)));
            if (after != reference)
            {
                mismatches++;
                problems.Add($"cycle {cycle}: Combine over the fixed set changed:\n  before {reference}\n  after  {after}");
            }
            if (cycle == cycles) break; // the last start only verifies

            // Ingest from several streams and kill the server at a random moment while they write.
            var bag = new ConcurrentBag<string>();
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, streams)
                .Select(s => Segments.IngestUntilAsync(server.Client, new Random(seed * 1000 + cycle * 31 + s), $"c{cycle} s{s}", bag, stop.Token))
                .ToArray();
            await Task.Delay(200 + random.Next(1300));
            await server.KillAsync();
            stop.Cancel();
            await Task.WhenAll(writers);
            acknowledged.UnionWith(bag);
            log?.Invoke($"cycle {cycle + 1}/{cycles}: killed after {bag.Count} acknowledgements; {acknowledged.Count} acknowledged in all, {missing.Count} missing at restart");
        }
        return new CrashCycleReport(cycles, acknowledged.Count, missingTotal, mismatches, problems);
    }
}
