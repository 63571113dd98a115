using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;
using Xunit.Abstractions;

namespace Lait.Reliability.Tests;

/// <summary>Broken gRPC frames and protobuf payloads against every method of a real server.</summary>
public class MalformedInputTests(ITestOutputHelper output)
{
    private const int Seed = 20261122;

    [Fact]
    public async Task EveryMalformedRequestGetsAProperGrpcStatusAndTheServerKeepsServing()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--codec", "fp32");
        var combine = Segments.Verify([]);
        combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "the sky is blue ." } });
        combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "water is wet ." } });
        string before = Segments.Fingerprint(await server.Client.CombineAsync(combine));

        using var raw = new RawGrpc(server.Port);
        var failures = new List<string>();
        var codes = new SortedDictionary<int, int>();
        var messages = new SortedSet<string>();
        int count = 0;
        // 12 targets x 13 kinds = 156 systematic cases, plus 200 random ones.
        foreach (var fuzz in new FrameFuzzer(Seed).Cases(extra: 200))
        {
            count++;
            try
            {
                var result = await raw.SendAsync(fuzz.Target.Path, fuzz.Body, fuzz.Target.GrpcTimeout);
                if (result.HttpStatus != 200 || result.GrpcStatus is not (>= 0 and <= 16))
                    failures.Add($"{fuzz}\n    -> {result}");
                else
                    codes[result.GrpcStatus.Value] = codes.GetValueOrDefault(result.GrpcStatus.Value) + 1;
                messages.Add($"{result.GrpcStatus} {result.GrpcMessage}");
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                failures.Add($"{fuzz}\n    -> no status: {e.GetType().Name}: {e.Message}");
            }
        }
        foreach (var m in messages) output.WriteLine(m);
        output.WriteLine($"{count} cases; grpc-status counts: {string.Join(", ", codes.Select(kv => $"{(Grpc.Core.StatusCode)kv.Key}={kv.Value}"))}");

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} cases without a proper gRPC status:\n{string.Join("\n", failures.Take(20))}\nserver log tail:\n{Tail(server.Log)}");
        // The server still answers, and answers exactly as before.
        Assert.Equal(before, Segments.Fingerprint(await server.Client.CombineAsync(combine)));
        var acks = await Segments.EncodeAsync(server.Client, [("the moon is cold .", Role.Other)]);
        Assert.Null(acks[0].Error);
    }

    [Fact]
    public async Task InternalIsOnlyEverAFramingErrorThatSaysWhatWasWrong()
    {
        // The gRPC stack answers framing and decoding errors with INTERNAL (as gRPC implementations
        // do). Anything else answered INTERNAL would be an unhandled failure in a handler.
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"));
        using var raw = new RawGrpc(server.Port);
        // Grpc.AspNetCore's own framing messages, and ours for a request message that does not parse
        // (ErrorInterceptor; streaming calls parse inside the handler). The hand-written transport
        // this replaced worded them differently.
        var framing = new System.Text.RegularExpressions.Regex(
            "^(failed to deserialize request|Incomplete message\\.|Additional data after the message received\\." +
            "|Unexpected compressed flag value in message header\\.|Request did not include grpc-encoding value with compressed message\\." +
            "|No message returned\\.)");
        var unexpected = new List<string>();
        int errors = 0;
        int unknown = 0;
        foreach (var fuzz in new FrameFuzzer(Seed + 1).Cases(extra: 100))
        {
            var result = await raw.SendAsync(fuzz.Target.Path, fuzz.Body, fuzz.Target.GrpcTimeout);
            if (result.GrpcStatus is not 0) errors++;
            // Changed with the move to Grpc.AspNetCore: a unary request message that does not parse
            // fails in the stack before any interceptor runs, and the stack answers UNKNOWN
            // "Exception was thrown by handler." (it does not let a service map that error).
            // Every handler exception goes through ErrorInterceptor and is never UNKNOWN, so
            // UNKNOWN with exactly this message is only ever such a request; the log check below
            // makes sure of it.
            if (result.GrpcStatus == 2 && result.GrpcMessage == "Exception was thrown by handler.") unknown++;
            bool ok = result.GrpcStatus switch
            {
                2 => result.GrpcMessage == "Exception was thrown by handler.",
                13 => framing.IsMatch(result.GrpcMessage ?? ""),
                0 => true,
                _ => !string.IsNullOrWhiteSpace(result.GrpcMessage),
            };
            if (!ok) unexpected.Add($"{fuzz}\n    -> {result}");
        }
        Assert.True(unexpected.Count == 0, $"{unexpected.Count} malformed requests got an unexplained error:\n{string.Join("\n", unexpected.Take(20))}");
        Assert.True(errors > 200, $"only {errors} of the malformed requests were refused");
        Assert.DoesNotContain("Unhandled", server.Log);
        // No handler failed unexpectedly (ErrorInterceptor logs those), and every UNKNOWN was a request that did not parse.
        Assert.DoesNotContain("failed with an unexpected exception", server.Log);
        if (unknown > 0) Assert.Contains("InvalidProtocolBufferException", server.Log);
    }

    internal static string Tail(string log) => log.Length <= 4000 ? log : log[^4000..];
}
