using System.Text.Json;
using Lait.Testing;

namespace Lait.Cli.Tests;

[Collection(ServerCollection.Name)]
public class CliCommandTests(TwoModelServerFixture fixture)
{
    private static readonly string[] NliLabels = ["entailment", "neutral", "contradiction"];

    private string Address => fixture.Server.Port > 0 ? $"http://127.0.0.1:{fixture.Server.Port}" : throw new InvalidOperationException();

    private string MakeFolder(string name, params (string File, string Text)[] files)
    {
        string dir = fixture.Dir.Sub(name);
        Directory.CreateDirectory(dir);
        foreach (var (file, text) in files) File.WriteAllText(Path.Combine(dir, file), text);
        return dir;
    }

    private static JsonElement Json(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public async Task Ingest_FolderOfTwoFiles_PrintsHexIdsAndReingestReportsAlreadyStored()
    {
        string folder = MakeFolder("docs-a",
            ("a.txt", "The sky is blue. Grass is green."),
            ("b.txt", "Paris is the capital of france. The river is cold. Fire is hot."));

        var first = Json(await CliRunner.RunAsync("ingest", folder, "--address", Address, "--json", "--namespace", "docs"));
        var files = first.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(2, files.Count);
        Assert.EndsWith("a.txt", files[0].GetProperty("path").GetString());
        var ids = files.SelectMany(f => f.GetProperty("sentences").EnumerateArray()).Select(s => s.GetProperty("segment_id").GetString()!).ToList();
        Assert.Equal(5, ids.Count);
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{64}$", id));
        Assert.Equal(5, first.GetProperty("sentences").GetInt32());
        Assert.Equal("docs/b.txt/2", files[1].GetProperty("sentences")[2].GetProperty("name").GetString());

        var again = Json(await CliRunner.RunAsync("ingest", folder, "--address", Address, "--json"));
        Assert.Equal(5, again.GetProperty("already_stored").GetInt32());
        Assert.Equal(0, again.GetProperty("new").GetInt32());
        var idsAgain = again.GetProperty("files").EnumerateArray().SelectMany(f => f.GetProperty("sentences").EnumerateArray()).Select(s => s.GetProperty("segment_id").GetString()!);
        Assert.Equal(ids, idsAgain);
    }

    [Fact]
    public async Task Ingest_HumanOutputWithoutTerminalHasSummaryAndNoProgressBar()
    {
        string folder = MakeFolder("docs-h", ("one.txt", "The cat is an animal. The dog is an animal."));
        var result = await CliRunner.RunAsync("ingest", folder, "--address", Address);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 sentences from 1 files", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public async Task Verify_ByIdsAndByNames_VerdictIsOneOfTheLabels()
    {
        string folder = MakeFolder("docs-v", ("ev.txt", "Rain falls from clouds. The sun is hot."));
        var ingest = Json(await CliRunner.RunAsync("ingest", folder, "--address", Address, "--json", "--namespace", "ev"));
        var ids = ingest.GetProperty("files")[0].GetProperty("sentences").EnumerateArray().Select(s => s.GetProperty("segment_id").GetString()!).ToList();

        var byId = Json(await CliRunner.RunAsync("verify", "Rain falls from the sky.", "--evidence-id", ids[0], "--evidence-id", ids[1], "--address", Address, "--json"));
        Assert.Contains(byId.GetProperty("verdict").GetString(), NliLabels);
        var evidence = byId.GetProperty("evidence").EnumerateArray().ToList();
        Assert.Equal(2, evidence.Count);
        Assert.Equal(ids.Order(), evidence.Select(e => e.GetProperty("segment_id").GetString()!).Order());

        var byName = Json(await CliRunner.RunAsync("verify", "Rain falls from the sky.", "--evidence-name", "ev/ev.txt/0", "--evidence-name", "ev/ev.txt/1", "--address", Address, "--json"));
        Assert.Equal(byId.GetProperty("verdict").GetString(), byName.GetProperty("verdict").GetString());

        var human = await CliRunner.RunAsync("verify", "Rain falls from the sky.", "--evidence-id", ids[0], "--address", Address);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Matches("verdict: (entailment|neutral|contradiction)", human.Stdout);
    }

    [Fact]
    public async Task Verify_UnknownEvidenceId_ExitsOneWithNotFound()
    {
        string missing = new('a', 64);
        var result = await CliRunner.RunAsync("verify", "The sky is blue.", "--evidence-id", missing, "--address", Address);
        Assert.Equal(ExitCodes.ServerError, result.ExitCode);
        Assert.Contains("NOT_FOUND", result.Stderr);
        Assert.Contains(missing, result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Ask_YesNoModel_AnswersYesOrNoConsistentWithProbability()
    {
        var answer = Json(await CliRunner.RunAsync("ask", "Is the sky blue?", "--passage", "The sky is blue.", "--model", "yesno", "--address", Address, "--json"));
        float yes = answer.GetProperty("yes_probability").GetSingle();
        Assert.InRange(yes, 0f, 1f);
        Assert.Equal(yes >= 0.5f, answer.GetProperty("answer").GetBoolean());

        var human = await CliRunner.RunAsync("ask", "Is the sky blue?", "-p", "The sky is blue.", "--model", "yesno", "--address", Address);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.StartsWith(yes >= 0.5f ? "yes" : "no", human.Stdout);
    }

    [Fact]
    public async Task Ask_ModelWithoutYesLabel_ExitsOneWithInvalidArgument()
    {
        var result = await CliRunner.RunAsync("ask", "Is the sky blue?", "--passage", "The sky is blue.", "--address", Address);
        Assert.Equal(ExitCodes.ServerError, result.ExitCode);
        Assert.Matches("^lait: [A-Z_]+: .*yes", result.Stderr);
    }

    [Fact]
    public async Task Models_ListsBothModelsWithLabels()
    {
        var models = Json(await CliRunner.RunAsync("models", "--address", Address, "--json"));
        Assert.Equal("nli", models.GetProperty("default_model").GetString());
        var byName = models.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["nli", "yesno"], byName.Keys.Order());
        Assert.Equal(NliLabels, byName["nli"].GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));
        Assert.Equal(["no", "yes"], byName["yesno"].GetProperty("labels").EnumerateArray().Select(l => l.GetString()!));

        var table = await CliRunner.RunAsync("models", "--address", Address);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("nli (default)", table.Stdout);
        Assert.Contains("yesno", table.Stdout);
    }

    [Fact]
    public async Task Stats_ShowsStoredSegments()
    {
        var stats = Json(await CliRunner.RunAsync("stats", "--address", Address, "--json"));
        var models = stats.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal(2, models.Count);
        Assert.All(models, m => Assert.True(m.GetProperty("stored_segments").GetInt64() >= -1));
    }

    [Fact]
    public async Task Stats_WithMetricsUrl_CountsTheCallsMadeBefore()
    {
        Json(await CliRunner.RunAsync("models", "--address", Address, "--json"));
        var stats = Json(await CliRunner.RunAsync("stats", "--address", Address, "--json", "--metrics-url", fixture.MetricsUrl));
        var methods = stats.GetProperty("metrics").GetProperty("methods").EnumerateArray()
            .ToDictionary(m => m.GetProperty("method").GetString()!, m => m.GetProperty("calls").GetDouble());
        Assert.True(methods.GetValueOrDefault("/lait.v1.Lait/ListModels") >= 1, string.Join(", ", methods));

        var human = await CliRunner.RunAsync("stats", "--address", Address, "--metrics-url", fixture.MetricsUrl);
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Contains("/lait.v1.Lait/ListModels", human.Stdout);
    }

    [Fact]
    public async Task Stats_UnreachableMetricsUrl_ExitsThree()
    {
        var result = await CliRunner.RunAsync("stats", "--address", Address, "--metrics-url", "http://127.0.0.1:1/metrics");
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("cannot reach the metrics endpoint", result.Stderr);
    }

    [Fact]
    public void MetricsSummary_SumsCallsErrorsAndLatencyPerMethod()
    {
        // lait_store_puts is the name the server exports (this text used to say lait_store_puts_total,
        // a name the server never had, so `lait stats` showed 0 puts against a real server).
        const string text = """
            # HELP lait_rpc_calls_total gRPC calls by method and status code
            # TYPE lait_rpc_calls_total counter
            lait_rpc_calls_total{method="/lait.v1.Lait/Combine",code="OK"} 8
            lait_rpc_calls_total{method="/lait.v1.Lait/Combine",code="NotFound"} 2
            lait_rpc_duration_seconds_sum{method="/lait.v1.Lait/Combine"} 0.5
            lait_rpc_duration_seconds_count{method="/lait.v1.Lait/Combine"} 10
            lait_rpc_duration_seconds_bucket{method="/lait.v1.Lait/Combine",le="+Inf"} 10
            lait_store_puts 42
            lait_store_bytes 1048576
            lait_segment_cache_lookups_total{model="nli",result="hit"} 3
            lait_segment_cache_lookups_total{model="nli",result="miss"} 1
            """;
        var summary = Commands.MetricsSummary.Parse(text);
        var combine = Assert.Single(summary.Methods);
        Assert.Equal("/lait.v1.Lait/Combine", combine.Method);
        Assert.Equal(10, combine.Calls);
        Assert.Equal(2, combine.Errors);
        Assert.Equal(50.0, combine.MeanLatencyMs!.Value, 9);
        Assert.Equal(42, summary.StorePuts);
        Assert.Equal(1048576, summary.StoreBytes);
        Assert.Equal(3, summary.CacheHits);
        Assert.Equal(1, summary.CacheMisses);
    }

    [Fact]
    public async Task Bench_SmallRun_ReportsOrderedPercentiles()
    {
        var bench = Json(await CliRunner.RunAsync("bench", "--pairs", "10", "--address", Address, "--json"));
        Assert.Equal(10, bench.GetProperty("pairs").GetInt32());
        double p50 = bench.GetProperty("p50_ms").GetDouble(), p99 = bench.GetProperty("p99_ms").GetDouble(), max = bench.GetProperty("max_ms").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, $"p50 {p50}, p99 {p99}, max {max}");
    }

    [Fact]
    public async Task BadAddress_ExitsThreeWithoutStackTrace()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        var result = await CliRunner.RunAsync("models", "--address", "http://127.0.0.1:1");
        Assert.Equal(ExitCodes.Unreachable, result.ExitCode);
        Assert.Contains("cannot reach the server at http://127.0.0.1:1", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Theory]
    [InlineData("verify", "a claim")]
    [InlineData("bench", "--pairs", "many")]
    [InlineData("ask", "Is it?")]
    [InlineData("no-such-command")]
    [InlineData()]
    public async Task BadArguments_ExitTwo(params string[] args)
    {
        var result = await CliRunner.RunAsync([.. args, "--address", Address]);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.StartsWith("lait: ", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Ingest_DocumentOverServerLimit_ReportedPerFileOthersStoredExitOne()
    {
        string big = string.Join(' ', Enumerable.Range(0, 25).Select(i => $"The dog {i} is old."));
        string folder = MakeFolder("docs-limit", ("a-ok.txt", "The bird can fly. The star is hot."), ("b-big.txt", big));

        var result = await CliRunner.RunAsync("ingest", folder, "--address", Address, "--json");

        Assert.Equal(ExitCodes.ServerError, result.ExitCode);
        var files = JsonDocument.Parse(result.Stdout).RootElement.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(2, files[0].GetProperty("sentences").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, files[0].GetProperty("error").ValueKind);
        Assert.StartsWith("RESOURCE_EXHAUSTED", files[1].GetProperty("error").GetString());
        Assert.Contains("b-big.txt: RESOURCE_EXHAUSTED", result.Stderr);
    }

    [Fact]
    public async Task Ingest_MissingPath_ExitsTwo()
    {
        var result = await CliRunner.RunAsync("ingest", fixture.Dir.Sub("no-such-folder"), "--address", Address);
        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("no such file or folder", result.Stderr);
    }

    [Fact]
    public async Task AsProcess_IngestFileAndExitCodes()
    {
        string folder = MakeFolder("docs-p", ("p.txt", "The moon is cold. Stars are hot."));
        var ok = await CliRunner.RunProcessAsync(CliRunner.LaitDll, "ingest", Path.Combine(folder, "p.txt"), "--address", Address, "--json");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(2, JsonDocument.Parse(ok.Stdout).RootElement.GetProperty("sentences").GetInt32());

        var usage = await CliRunner.RunProcessAsync(CliRunner.LaitDll, "bench", "--pairs");
        Assert.Equal(ExitCodes.Usage, usage.ExitCode);

        var unreachable = await CliRunner.RunProcessAsync(CliRunner.LaitDll, "models", "--address", "http://127.0.0.1:1");
        Assert.Equal(ExitCodes.Unreachable, unreachable.ExitCode);
        Assert.DoesNotContain("Unhandled", unreachable.Stderr);
    }
}

public class CliAuthTests(ApiKeyServerFixture fixture) : IClassFixture<ApiKeyServerFixture>
{
    [Fact]
    public async Task WrongOrMissingApiKey_ExitsOneWithUnauthenticated()
    {
        var missing = await CliRunner.RunAsync("models", "--address", fixture.Address);
        Assert.Equal(ExitCodes.ServerError, missing.ExitCode);
        Assert.Contains("UNAUTHENTICATED", missing.Stderr);

        var wrong = await CliRunner.RunProcessAsync(CliRunner.LaitDll, "models", "--address", fixture.Address, "--api-key", "wrong");
        Assert.Equal(ExitCodes.ServerError, wrong.ExitCode);
        Assert.Contains("UNAUTHENTICATED", wrong.Stderr);
    }

    [Fact]
    public async Task ApiKeyFromEnvironment_SucceedsAndNeverAppearsInHelp()
    {
        var env = new Dictionary<string, string> { ["LAIT_API_KEY"] = ApiKeyServerFixture.Key, ["LAIT_ADDRESS"] = fixture.Address };
        var models = await CliRunner.RunProcessAsync(CliRunner.LaitDll, env, "models", "--json");
        Assert.True(models.ExitCode == 0, models.ToString());
        Assert.Contains("entailment", models.Stdout);

        var help = await CliRunner.RunProcessAsync(CliRunner.LaitDll, env, "models", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--api-key", help.Stdout);
        Assert.DoesNotContain(ApiKeyServerFixture.Key, help.Stdout);
    }

    [Fact]
    public async Task RightApiKey_Succeeds()
    {
        var result = await CliRunner.RunAsync("models", "--address", fixture.Address, "--api-key", ApiKeyServerFixture.Key, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
