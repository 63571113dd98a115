using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Lait.Client;
using Lait.Test.V1;

namespace Lait.Bench.Transport;

/// <summary>The C# side: a generated Echo client on Grpc.Net.Client (h2c, the channel Lait.Client makes), calls one after another.</summary>
public static class CSharpClientBench
{
    public static async Task<BenchResult> RunAsync(string address, BenchSettings settings)
    {
        using GrpcChannel channel = LaitChannel.ForAddress($"http://{address}", new LaitChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        var client = new Echo.EchoClient(channel);
        var small = new EchoRequest { Message = "bench", Payload = ByteString.CopyFrom(new byte[settings.SmallBytes]) };
        for (int i = 0; i < settings.Warmup; i++)
        {
            await client.UnaryAsync(small, LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
        }

        double[] latencies = new double[settings.UnaryCalls];
        for (int i = 0; i < latencies.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await client.UnaryAsync(small, LaitChannel.WithTimeout(TimeSpan.FromSeconds(30)));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(latencies);

        var streams = new List<StreamTiming>();
        var bidis = new List<StreamTiming>();
        foreach ((int size, int count) in settings.Streams)
        {
            await ServerStreamAsync(client, size, Math.Min(count, 50)); // warm-up
            streams.Add(await ServerStreamAsync(client, size, count));
            await BidiAsync(client, size, Math.Min(count, 50));
            bidis.Add(await BidiAsync(client, size, count));
        }

        return new BenchResult(latencies, streams, bidis);
    }

    private static async Task<StreamTiming> ServerStreamAsync(Echo.EchoClient client, int size, int count)
    {
        long start = Stopwatch.GetTimestamp();
        using AsyncServerStreamingCall<EchoResponse> call = client.ServerStream(
            new EchoRequest { Repeat = count, ResponsePayloadSize = size }, LaitChannel.WithTimeout(TimeSpan.FromMinutes(10)));
        int received = 0;
        long bytes = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            received++;
            bytes += call.ResponseStream.Current.Payload.Length;
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Check(received == count && bytes == (long)size * count, $"server stream delivered {received} messages, {bytes} bytes");
        return new StreamTiming(size, count, seconds);
    }

    /// <summary>Requests are written as fast as flow control allows while replies are read.</summary>
    private static async Task<StreamTiming> BidiAsync(Echo.EchoClient client, int size, int count)
    {
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[size]) };
        long start = Stopwatch.GetTimestamp();
        using AsyncDuplexStreamingCall<EchoRequest, EchoResponse> call = client.Bidi(LaitChannel.WithTimeout(TimeSpan.FromMinutes(10)));
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await call.RequestStream.WriteAsync(request);
            }

            await call.RequestStream.CompleteAsync();
        });
        int received = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            received++;
        }

        await writer;
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Check(received == count, $"bidi delivered {received} of {count} replies");
        return new StreamTiming(size, count, seconds);
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
