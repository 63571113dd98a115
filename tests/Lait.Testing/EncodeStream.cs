using Lait.Client;
using Lait.Protos.V1;

namespace Lait.Testing;

/// <summary>Sends requests on one EncodeSegment stream while reading the acknowledgements concurrently.</summary>
public static class EncodeStream
{
    public static async Task<List<EncodeSegmentResponse>> EncodeAllAsync(LaitClient client, IEnumerable<EncodeSegmentRequest> requests, TimeSpan? timeout = null)
    {
        using var call = client.EncodeSegment(LaitChannel.WithTimeout(timeout ?? TimeSpan.FromSeconds(60)));
        var reader = Task.Run(async () =>
        {
            var acks = new List<EncodeSegmentResponse>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) acks.Add(call.ResponseStream.Current);
            return acks;
        });
        foreach (var request in requests) await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        return await reader;
    }

    public static Task<List<EncodeSegmentResponse>> EncodeAllAsync(LaitClient client, params IEnumerable<(string Text, Role Role)> segments) =>
        EncodeAllAsync(client, segments.Select(s => new EncodeSegmentRequest { Segment = new SegmentInput { Text = s.Text, Role = s.Role } }));
}
