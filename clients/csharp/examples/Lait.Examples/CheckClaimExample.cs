using Lait.Client;
using Lait.Client.Conveniences;

namespace Lait.Examples;

/// <summary>Stores evidence sentences once, then verifies a claim against their ids (only the joint layers run for the evidence).</summary>
public static class CheckClaimExample
{
    public static async Task<int> RunAsync(LaitClient client, string claim, string evidenceFile)
    {
        var ids = new List<string>();
        await foreach (var ack in client.IngestAsync(Sentences.ReadAsync(evidenceFile)))
        {
            if (ack.Error is null) ids.Add(ack.SegmentId);
        }
        var result = await client.VerifyClaimAsync(claim, ids);
        Console.WriteLine($"verdict: {result.Verdict}");
        foreach (var evidence in result.Evidence)
        {
            Console.WriteLine($"rank {evidence.Rank}: {evidence.Label} {evidence.SegmentId}");
        }
        return 0;
    }
}
