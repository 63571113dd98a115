using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lait.Client;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Reliability.Tests.Support;

/// <summary>Small helpers shared by the reliability tests and the load benchmark.</summary>
public static class Segments
{
    /// <summary>A sentence of tiny-vocabulary words (no [UNK]); the seed makes it reproducible.</summary>
    public static string Sentence(Random random, int words)
    {
        var parts = new string[words];
        for (int i = 0; i < words; i++) parts[i] = TinyModelWriter.Vocabulary[random.Next(TinyModelWriter.Vocabulary.Count)];
        return string.Join(' ', parts) + ".";
    }

    public static EncodeSegmentRequest Request(string text, Role role = Role.Other, string tag = "") =>
        new() { Segment = new SegmentInput { Text = text, Role = role }, ClientTag = tag };

    /// <summary>Streams the texts through one EncodeSegment call and returns every acknowledgement.</summary>
    public static async Task<List<EncodeSegmentResponse>> EncodeAsync(LaitClient client, IEnumerable<(string Text, Role Role)> segments, TimeSpan? timeout = null)
    {
        using var call = client.EncodeSegment(LaitChannel.WithTimeout(timeout ?? TimeSpan.FromSeconds(60)));
        var reader = Task.Run(async () =>
        {
            var acks = new List<EncodeSegmentResponse>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) acks.Add(call.ResponseStream.Current);
            return acks;
        });
        foreach (var (text, role) in segments) await call.RequestStream.WriteAsync(Request(text, role));
        await call.RequestStream.CompleteAsync();
        return await reader;
    }

    /// <summary>
    /// Writes sentences into one stream until <paramref name="stop"/> fires or the call breaks, and
    /// adds every successful acknowledgement's id to <paramref name="acknowledged"/>. Returns the
    /// exception that ended the call, if any (expected when the server is killed).
    /// </summary>
    public static async Task<Exception?> IngestUntilAsync(LaitClient client, Random random, string prefix, ConcurrentBag<string> acknowledged,
        CancellationToken stop, int maxSegments = 100_000)
    {
        try
        {
            using var call = client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromMinutes(5)));
            var reader = Task.Run(async () =>
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    var ack = call.ResponseStream.Current;
                    if (ack.Error is null) acknowledged.Add(ack.SegmentId);
                }
            });
            try
            {
                for (int i = 0; i < maxSegments && !stop.IsCancellationRequested && !reader.IsCompleted; i++)
                {
                    await call.RequestStream.WriteAsync(Request($"{prefix} {i} {Sentence(random, 4 + random.Next(8))}", Role.Other, $"{prefix}-{i}"));
                }
                await call.RequestStream.CompleteAsync();
            }
            catch (Exception) when (reader.IsCompleted)
            {
                // The write failed because the call already ended: the reader holds the reason.
            }
            await reader;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    public static CombineRequest Verify(IEnumerable<string> ids)
    {
        var request = new CombineRequest { Task = TaskType.VerifyClaim, Aggregation = Aggregation.Mean };
        request.Segments.AddRange(ids.Select(id => new SegmentRef { SegmentId = id }));
        return request;
    }

    /// <summary>Every number of a claim verification, printed round-trip exact.</summary>
    public static string Fingerprint(CombineResponse r) =>
        r.ClaimVerification.Verdict + "|" + string.Join(";", r.ClaimVerification.Evidence.Select(e =>
            $"{e.Index}:{e.Label}:{string.Join(',', e.Scores.Select(s => s.Probability.ToString("R") + "/" + s.Logit.ToString("R")))}"));

    /// <summary>The ids of <paramref name="ids"/> that the server does not find.</summary>
    public static async Task<List<string>> MissingAsync(LaitClient client, IReadOnlyCollection<string> ids)
    {
        var missing = new List<string>();
        foreach (var chunk in ids.Chunk(200))
        {
            var got = await client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { chunk } });
            missing.AddRange(got.MissingIds);
            if (got.Found.Count + got.MissingIds.Count != chunk.Length)
                throw new InvalidOperationException($"GetSegments answered {got.Found.Count} found + {got.MissingIds.Count} missing for {chunk.Length} ids");
        }
        return missing;
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
