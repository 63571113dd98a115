using System.Diagnostics;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Lait.Client;
using Lait.Test.V1;

namespace Lait.Bench.Transport;

/// <summary>The C# side: Lait.Client over HttpClient HTTP/2 (h2c), one channel, calls one after another.</summary>
public static class CSharpClientBench
{
    private static readonly ServiceDescriptor Echo = EchoReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Echo");
    private static readonly Method<EchoRequest, EchoResponse> Unary = Method<EchoRequest, EchoResponse>.Create(Echo, "Unary");
    private static readonly Method<EchoRequest, EchoResponse> ServerStream = Method<EchoRequest, EchoResponse>.Create(Echo, "ServerStream");
    private static readonly Method<EchoRequest, EchoResponse> Bidi = Method<EchoRequest, EchoResponse>.Create(Echo, "Bidi");

    public static async Task<BenchResult> RunAsync(string address, BenchSettings settings)
    {
        using var channel = GrpcChannel.ForAddress($"http://{address}", new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024 });
        var small = new EchoRequest { Message = "bench", Payload = ByteString.CopyFrom(new byte[settings.SmallBytes]) };
        for (int i = 0; i < settings.Warmup; i++)
        {
            await channel.UnaryAsync(Unary, small, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
        }

        double[] latencies = new double[settings.UnaryCalls];
        for (int i = 0; i < latencies.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await channel.UnaryAsync(Unary, small, CallOptions.WithTimeout(TimeSpan.FromSeconds(30)));
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(latencies);

        var streams = new List<StreamTiming>();
        var bidis = new List<StreamTiming>();
        foreach ((int size, int count) in settings.Streams)
        {
            await ServerStreamAsync(channel, size, Math.Min(count, 50)); // warm-up
            streams.Add(await ServerStreamAsync(channel, size, count));
            await BidiAsync(channel, size, Math.Min(count, 50));
            bidis.Add(await BidiAsync(channel, size, count));
        }

        return new BenchResult(latencies, streams, bidis);
    }

    private static async Task<StreamTiming> ServerStreamAsync(GrpcChannel channel, int size, int count)
    {
        long start = Stopwatch.GetTimestamp();
        using AsyncServerStreamingCall<EchoResponse> call = channel.AsyncServerStreamingCall(
            ServerStream, new EchoRequest { Repeat = count, ResponsePayloadSize = size }, CallOptions.WithTimeout(TimeSpan.FromMinutes(10)));
        int received = 0;
        long bytes = 0;
        while (await call.ResponseStream.MoveNext())
        {
            received++;
            bytes += call.ResponseStream.Current.Payload.Length;
        }

        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Check(received == count && bytes == (long)size * count, $"server stream delivered {received} messages, {bytes} bytes");
        return new StreamTiming(size, count, seconds);
    }

    /// <summary>Requests are written as fast as flow control allows while replies are read.</summary>
    private static async Task<StreamTiming> BidiAsync(GrpcChannel channel, int size, int count)
    {
        var request = new EchoRequest { Payload = ByteString.CopyFrom(new byte[size]) };
        long start = Stopwatch.GetTimestamp();
        using AsyncDuplexStreamingCall<EchoRequest, EchoResponse> call = channel.AsyncDuplexStreamingCall(Bidi, CallOptions.WithTimeout(TimeSpan.FromMinutes(10)));
        Task writer = Task.Run(async () =>
        {
            for (int i = 0; i < count; i++)
            {
                await call.RequestStream.WriteAsync(request);
            }

            await call.RequestStream.CompleteAsync();
        });
        int received = 0;
        while (await call.ResponseStream.MoveNext())
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
