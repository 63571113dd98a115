using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Lait.Client;
using Lait.Protos.V1;
using Lait.Reliability.Tests.Support;
using Lait.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Reliability.Tests;

/// <summary>Issue 17, items 5-7: what an unauthenticated caller (health only) and an idle caller can hold.</summary>
public class TransportAbuseTests
{
    private const string Key = "k3y-for-transport-abuse";

    [Fact]
    public async Task HealthWatchWithHugeOrUnknownNamesIsBoundedAndReleasedOnAKeyedServer()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync(
            ["--model-dir", model, "--store-dir", dir.Sub("store"), "--api-key", Key, "--max-health-watches", "8", "--max-health-watches-per-connection", "4"],
            tlsValidation: null, apiKey: Key);
        long startKiB = server.ResidentKiB();
        string huge = new('s', 1 << 20);

        // Item 5: a 1 MiB name is refused with a short message that does not quote it.
        using (var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}"))
        {
            var health = new Health.HealthClient(channel);
            var big = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = huge }).ResponseAsync);
            Assert.Equal(StatusCode.ResourceExhausted, big.StatusCode);
            Assert.True(big.Status.Detail.Length < 300, big.Status.Detail);
            string long201 = new('n', 201);
            var named = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = long201 }).ResponseAsync);
            Assert.Equal(StatusCode.InvalidArgument, named.StatusCode);
            Assert.Contains("at most 200", named.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(long201, named.Status.Detail, StringComparison.Ordinal);

            var notFound = await Assert.ThrowsAsync<RpcException>(() => health.CheckAsync(new HealthCheckRequest { Service = "no.such.Service" }).ResponseAsync);
            Assert.Equal(StatusCode.NotFound, notFound.StatusCode);

            // An unknown service answers SERVICE_UNKNOWN once and the stream ends (nothing held).
            using var unknown = health.Watch(new HealthCheckRequest { Service = "no.such.Service" }, deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.True(await unknown.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(ServingStatus.ServiceUnknown, unknown.ResponseStream.Current.Status);
            Assert.False(await unknown.ResponseStream.MoveNext(CancellationToken.None));
        }

        // The attack of the issue: many Watch streams with 1 MiB names, while a keyed client keeps being served.
        using var keyed = LaitChannel.ForAddress($"http://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = Key });
        var client = new LaitClient(keyed);
        using var stop = new CancellationTokenSource();
        int served = 0;
        var other = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await client.ListModelsAsync(new ListModelsRequest(), LaitChannel.WithTimeout(TimeSpan.FromSeconds(10)));
                Interlocked.Increment(ref served);
                await Task.Delay(50);
            }
        });
        var attackers = Enumerable.Range(0, 4).Select(_ => GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}")).ToList();
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            try
            {
                using var call = new Health.HealthClient(attackers[i % attackers.Count]).Watch(new HealthCheckRequest { Service = huge }, deadline: DateTime.UtcNow.AddSeconds(30));
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }));
        Assert.All(statuses, s => Assert.Equal(StatusCode.ResourceExhausted, s));

        // Real Watch streams are bounded per connection (4) and in total (8), and freed when closed.
        var watches = new List<AsyncServerStreamingCall<HealthCheckResponse>>();
        for (int c = 0; c < 2; c++)
        {
            for (int i = 0; i < 4; i++)
            {
                var call = new Health.HealthClient(attackers[c]).Watch(new HealthCheckRequest { Service = "" });
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal(ServingStatus.Serving, call.ResponseStream.Current.Status);
                watches.Add(call);
            }
        }
        var perConnection = await WatchStatusAsync(attackers[0]);
        Assert.Equal(StatusCode.ResourceExhausted, perConnection.StatusCode);
        Assert.Contains("on this connection (limit 4)", perConnection.Status.Detail, StringComparison.Ordinal);
        var total = await WatchStatusAsync(attackers[2]);
        Assert.Equal(StatusCode.ResourceExhausted, total.StatusCode);
        Assert.Contains("on this server (limit 8)", total.Status.Detail, StringComparison.Ordinal);
        foreach (var w in watches) w.Dispose();
        watches.Clear();
        // The slots come back once the server has seen the resets.
        var sw = Stopwatch.StartNew();
        while (true)
        {
            using var again = new Health.HealthClient(attackers[3]).Watch(new HealthCheckRequest { Service = "" });
            try
            {
                Assert.True(await again.ResponseStream.MoveNext(CancellationToken.None));
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted && sw.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }
        }

        stop.Cancel();
        await other; // any failed call of the keyed client fails the test here
        foreach (var a in attackers) a.Dispose();
        Assert.True(served > 0, "the keyed client was never served during the attack");
        await client.ListModelsAsync(new ListModelsRequest(), LaitChannel.WithTimeout(TimeSpan.FromSeconds(10)));
        long growthMiB = (server.ResidentKiB() - startKiB) / 1024;
        Assert.True(growthMiB < 100, $"RSS grew by {growthMiB} MiB");
    }

    [Fact]
    public async Task IdleEncodeStreamsAreEndedAndTheirSlotsFreed()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--stream-idle-seconds", "3");
        long startKiB = server.ResidentKiB();
        var channels = Enumerable.Range(0, 3).Select(_ => GrpcChannel.ForAddress($"http://127.0.0.1:{server.Port}")).ToList();
        // 300 streams that send headers and nothing else: the first 256 hold every EncodeSegment slot.
        var idle = Enumerable.Range(0, 300).Select(i => new Lait.Protos.V1.Lait.LaitClient(channels[i % 3]).EncodeSegment(deadline: DateTime.UtcNow.AddMinutes(2))).ToList();
        var ended = idle.Select(async call =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None)) { }
                return (StatusCode.OK, "");
            }
            catch (RpcException e)
            {
                return (e.StatusCode, e.Status.Detail);
            }
        }).ToList();
        // Other clients are served meanwhile (health, unary calls).
        Assert.Equal(ServingStatus.Serving, await ServerProcess.CheckHealthAsync(server.Channel));
        await server.Client.ListModelsAsync(new ListModelsRequest(), LaitChannel.WithTimeout(TimeSpan.FromSeconds(10)));

        var results = await Task.WhenAll(ended).WaitAsync(TimeSpan.FromSeconds(60));
        int timedOut = results.Count(r => r.Item1 == StatusCode.DeadlineExceeded && r.Item2.Contains("sent no message for 3 s", StringComparison.Ordinal));
        Assert.True(timedOut >= 256, $"{timedOut} of 300 idle streams were ended for idleness: {string.Join("; ", results.Select(r => r.Item1 + " " + r.Item2).Distinct())}");
        foreach (var call in idle) call.Dispose();

        // The slots are free again: a real client ingests.
        var acks = await Segments.EncodeAsync(server.Client, [("the sky is blue .", Role.First)]);
        Assert.All(acks, a => Assert.Null(a.Error));
        foreach (var c in channels) c.Dispose();
        long growthMiB = (server.ResidentKiB() - startKiB) / 1024;
        Assert.True(growthMiB < 100, $"RSS grew by {growthMiB} MiB");
    }

    private static async Task<RpcException> WatchStatusAsync(GrpcChannel channel)
    {
        using var call = new Health.HealthClient(channel).Watch(new HealthCheckRequest { Service = "" }, deadline: DateTime.UtcNow.AddSeconds(10));
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
    }
}

/// <summary>Issue 17 item 10, transport parts: content subtypes, metadata counts, client resets.</summary>
public class TransportRequestTests
{
    [Fact]
    public async Task GrpcJsonContentTypeIsRefusedWithUnimplementedNotParsedAsProtobuf()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"));
        using var raw = new RawGrpc(server.Port);
        var json = await raw.SendAsync("/lait.v1.Lait/ListModels", RawGrpc.Frame(new ListModelsRequest().ToByteArray()), contentType: "application/grpc+json");
        Assert.Equal((int)StatusCode.Unimplemented, json.GrpcStatus);
        Assert.Contains("application/grpc+json is not served", json.GrpcMessage, StringComparison.Ordinal);
        // protobuf, spelled either way, is still served.
        foreach (string type in new[] { "application/grpc", "application/grpc+proto" })
        {
            var ok = await raw.SendAsync("/lait.v1.Lait/ListModels", RawGrpc.Frame(new ListModelsRequest().ToByteArray()), contentType: type);
            Assert.Equal(0, ok.GrpcStatus);
        }
    }

    [Fact]
    public async Task MoreThan100MetadataEntriesIsAGrpcStatusForGrpcio()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"));
        string script = """
            import sys, grpc
            ch = grpc.insecure_channel(sys.argv[1])
            call = ch.unary_unary('/lait.v1.Lait/ListModels', request_serializer=None, response_deserializer=None)
            for n in (100, 150):
                md = [('x-meta-%d' % i, 'v') for i in range(n)]
                try:
                    call(b'', metadata=md, timeout=10)
                    print(n, 'OK')
                except grpc.RpcError as e:
                    print(n, e.code().name, e.details())
            """;
        string output = await RunPythonAsync(script, $"127.0.0.1:{server.Port}");
        Assert.Contains("100 OK", output, StringComparison.Ordinal);
        Assert.Contains("150 RESOURCE_EXHAUSTED the call carries 150 metadata entries, at most 100 are accepted", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientResetsMidMessageAreCancelledInMetricsAndNotLoggedAsFailures()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        int metricsPort = Segments.FreePort();
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--metrics-port", metricsPort.ToString());
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        const int resets = 20;
        for (int i = 0; i < resets; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{server.Port}/lait.v1.Lait/EncodeSegment")
            {
                Version = System.Net.HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ResettingContent(i % 2 == 0),
            };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
            request.Headers.TryAddWithoutValidation("te", "trailers");
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                await response.Content.ReadAsByteArrayAsync();
                throw new InvalidOperationException("the request completed");
            });
        }
        string metrics = "";
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            metrics = await new HttpClient().GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            if (Count(metrics, "") >= resets) break;
            await Task.Delay(200);
        }
        Assert.True(Count(metrics, ",code=\"Cancelled\"") == resets, string.Join("\n", metrics.Split('\n').Where(l => l.Contains("EncodeSegment", StringComparison.Ordinal))));
        Assert.DoesNotContain("fail:", server.Log, StringComparison.Ordinal);
    }

    private static long Count(string metrics, string code)
    {
        long sum = 0;
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith("lait_rpc_calls_total{method=\"/lait.v1.Lait/EncodeSegment\"" + code, StringComparison.Ordinal))
                sum += long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return sum;
    }

    /// <summary>Sends a whole message (or half of one), then fails, which makes HttpClient reset the stream.</summary>
    private sealed class ResettingContent(bool wholeMessage) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            byte[] frame = RawGrpc.Frame(Segments.Request("the sky is blue .").ToByteArray());
            await stream.WriteAsync(wholeMessage ? frame : frame.AsMemory(0, frame.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(300);
            throw new IOException("the test resets the stream");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static async Task<string> RunPythonAsync(string script, string argument)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(argument);
        using var process = Process.Start(psi)!;
        string output = await process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }
}
