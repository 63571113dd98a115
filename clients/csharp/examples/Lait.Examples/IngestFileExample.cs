using Lait.Client;
using Lait.Client.Conveniences;

namespace Lait.Examples;

/// <summary>Streams the sentences of a text file into the store; the acknowledgements come back in order.</summary>
public static class IngestFileExample
{
    public static async Task<int> RunAsync(LaitClient client, string file)
    {
        int count = 0, failed = 0;
        // At most 32 sentences are unacknowledged at a time, however large the file.
        await foreach (var ack in client.IngestAsync(Sentences.ReadAsync(file), new IngestOptions { MaxInFlight = 32 }))
        {
            if (ack.Error is not null)
            {
                Console.Error.WriteLine($"sentence {ack.Sequence}: error {ack.Error.Code}: {ack.Error.Message}");
                failed++;
                continue;
            }
            Console.WriteLine($"{ack.SegmentId} {(ack.AlreadyStored ? "already-stored" : "new")}");
            count++;
        }
        Console.WriteLine($"ingested {count} sentences");
        return failed == 0 ? 0 : 1;
    }
}
