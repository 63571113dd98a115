using System.Net.Http;
using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Lait.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Server.Tests.Service;

/// <summary>Behaviour across server processes: restarts, crashes, auth, metrics, other models.</summary>
public class ServerLifecycleTests
{
    private static CombineRequest Verify(IEnumerable<string> ids)
    {
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        request.Segments.AddRange(ids.Select(id => new SegmentRef { SegmentId = id }));
        return request;
    }

    private static string Fingerprint(CombineResponse r) =>
        string.Join(";", r.ClaimVerification.Evidence.Select(e => $"{e.Index}:{string.Join(',', e.Scores.Select(s => s.Probability.ToString("R")))}"));

    [Fact]
    public async Task StoredStatesSurviveARestartAndGiveTheSameAnswer()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        string[] args = ["--model-dir", model, "--store-dir", dir.Sub("store")];
        string before;
        List<EncodeSegmentResponse> acks;
        await using (var server = await ServerProcess.StartAsync(args))
        {
            acks = await EncodeStream.EncodeAllAsync(server.Client, [("Water is wet.", Role.First), ("Rain falls from clouds.", Role.Other), ("Ice is cold.", Role.Other)]);
            before = Fingerprint(await server.Client.CombineAsync(Verify(acks.Select(a => a.SegmentId))));
            Assert.Equal(0, await server.StopAsync());
        }
        await using (var server = await ServerProcess.StartAsync(args))
        {
            var after = await server.Client.CombineAsync(Verify(acks.Select(a => a.SegmentId)));
            Assert.Equal(before, Fingerprint(after));
        }
    }

    [Fact]
    public async Task AcknowledgedSegmentsSurviveKillNine()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        string[] args = ["--model-dir", model, "--store-dir", dir.Sub("store"), "--durability", "durable"];
        List<EncodeSegmentResponse> acks;
        await using (var server = await ServerProcess.StartAsync(args))
        {
            acks = await EncodeStream.EncodeAllAsync(server.Client, Enumerable.Range(0, 40).Select(i => ($"The river is {i} years old.", Role.Other)));
            Assert.All(acks, a => Assert.Null(a.Error));
            await server.KillAsync();
        }
        await using (var server = await ServerProcess.StartAsync(args))
        {
            var got = await server.Client.GetSegmentsAsync(new GetSegmentsRequest { SegmentIds = { acks.Select(a => a.SegmentId) } });
            Assert.Empty(got.MissingIds);
            Assert.Equal(acks.Count, got.Found.Count);
        }
    }

    [Fact]
    public async Task ApiKeysAreRequiredExceptForHealth()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--api-key", "s3cret");

        Assert.Equal(ServingStatus.Serving, await ServerProcess.CheckHealthAsync(server.Channel));
        var noKey = await Assert.ThrowsAsync<RpcException>(() => server.Client.ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, noKey.StatusCode);

        using var wrong = LaitChannel.ForAddress($"http://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = "nope" });
        var wrongKey = await Assert.ThrowsAsync<RpcException>(() => new LaitClient(wrong).ListModelsAsync(new ListModelsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, wrongKey.StatusCode);

        using var right = LaitChannel.ForAddress($"http://127.0.0.1:{server.Port}", new LaitChannelOptions { ApiKey = "s3cret" });
        Assert.Single((await new LaitClient(right).ListModelsAsync(new ListModelsRequest())).Models);
    }

    [Fact]
    public async Task MetricsEndpointCountsCallsAndCacheHits()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        int metricsPort = FreePort();
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--metrics-port", metricsPort.ToString());
        await EncodeStream.EncodeAllAsync(server.Client, [("The sun is hot.", Role.Other), ("The sun is hot.", Role.Other)]);

        using var http = new HttpClient();
        string text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
        Assert.Contains("lait_rpc_calls_total{method=\"/lait.v1.Lait/EncodeSegment\",code=\"OK\"} 1", text);
        Assert.Contains("lait_segment_cache_lookups_total{model=\"tiny\",result=\"miss\"} 1", text);
        Assert.Contains("lait_segment_cache_lookups_total{model=\"tiny\",result=\"hit\"} 1", text);
        Assert.Contains("lait_rpc_duration_seconds_bucket{method=\"/lait.v1.Lait/EncodeSegment\",le=\"+Inf\"} 1", text);
        Assert.Contains("# TYPE lait_batch_tokens histogram", text);
    }

    [Fact]
    public async Task ExtractiveQaReturnsASpanOfThePassageWithItsOffsets()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny-qa"), new TinyModelWriter.Options { QuestionAnswering = true, Labels = [] });
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"));
        const string passage = "Paris is the capital of France. The river is old.";
        var request = new CombineRequest { Task = TaskType.ExtractiveQa, NBest = 3, MaxAnswerTokens = 4 };
        request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "What is the capital of France?" } });
        request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = passage } });

        var answer = (await server.Client.CombineAsync(request)).Extractive;
        Assert.Equal(3, answer.Answers.Count);
        Assert.All(answer.Answers, a =>
        {
            Assert.Equal(1, a.SegmentIndex);
            Assert.Equal(passage[a.CharStart..a.CharEnd], a.Text);
        });
        Assert.True(answer.Answers[0].Score >= answer.Answers[1].Score);
    }

    [Fact]
    public async Task BadConfigurationFailsFastWithAClearMessage()
    {
        using var dir = new TempDirectory();
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServerProcess.StartAsync("--model-dir", dir.Sub("no-model-here"), "--store-dir", dir.Sub("store")));
        Assert.Contains("start-up failed", missing.Message);
        var unknown = await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync("--frobnicate"));
        Assert.Contains("unknown option '--frobnicate'", unknown.Message);
    }

    [Fact]
    public async Task ProbeModeReportsServingAndUnreachable()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        await using var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"));
        var (code, output) = await RunProbeAsync(server.Port, "lait.v1.Lait");
        Assert.True(code == 0, $"probe exited {code}: {output}");
        Assert.Contains("Serving", output);
        var (unknownCode, _) = await RunProbeAsync(server.Port, "no.such.Service");
        Assert.Equal(1, unknownCode);
        var (closedCode, closedOutput) = await RunProbeAsync(FreePort(), "");
        Assert.Equal(2, closedCode);
        Assert.Contains("cannot reach", closedOutput);
    }

    [Fact]
    public async Task TracesAreExportedOverOtlpHttp()
    {
        using var dir = new TempDirectory();
        string model = TinyModelWriter.Write(dir.Sub("tiny"), new TinyModelWriter.Options());
        int port = FreePort();
        using var collector = new System.Net.HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new List<byte[]>();
        var collecting = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                System.Net.HttpListenerContext ctx;
                try
                {
                    ctx = await collector.GetContextAsync();
                }
                catch (Exception)
                {
                    return;
                }
                using var body = new MemoryStream();
                await ctx.Request.InputStream.CopyToAsync(body);
                lock (received) received.Add(body.ToArray());
                ctx.Response.StatusCode = 200;
                ctx.Response.Close();
            }
        });

        await using (var server = await ServerProcess.StartAsync("--model-dir", model, "--store-dir", dir.Sub("store"), "--otlp-endpoint", $"http://127.0.0.1:{port}"))
        {
            var request = new CombineRequest { Task = TaskType.Classify };
            request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "The sky is blue." } });
            await server.Client.CombineAsync(request);
            Assert.Equal(0, await server.StopAsync()); // shutdown flushes the exporter
        }
        collector.Stop();
        await collecting;

        string all;
        lock (received) all = string.Concat(received.Select(b => System.Text.Encoding.UTF8.GetString(b)));
        Assert.Contains("/lait.v1.Lait/Combine", all);
        Assert.Contains("lait.joint_us", all);
        Assert.Contains("laitgrpc", all);
    }

    private static async Task<(int Code, string Output)> RunProbeAsync(int port, string service)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { ServerProcess.ServerDll, "--probe", service, "--port", port.ToString() }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string output = await p.StandardOutput.ReadToEndAsync() + await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
