using System.Diagnostics;
using Lait.Testing;

namespace Lait.Cli.Tests;

/// <summary>Runs the example program as a user would, against the test server.</summary>
[Collection(ServerCollection.Name)]
public class ExamplesTests(TwoModelServerFixture fixture)
{
    private static string ExamplesDll => CliRunner.BuildOutput(Path.Combine("clients", "csharp", "examples", "Lait.Examples"), "Lait.Examples.dll");

    private async Task<CliResult> RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(ExamplesDll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["LAIT_ADDRESS"] = $"http://127.0.0.1:{fixture.Server.Port}";
        psi.Environment.Remove("LAIT_API_KEY");
        using var process = Process.Start(psi)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    private string WriteFile(string name, string text)
    {
        string path = fixture.Dir.Sub(name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task IngestExample_PrintsOneHexIdPerSentenceInOrder()
    {
        string file = WriteFile("example-ingest.txt", "The sky is blue. Grass is green.\nWater is wet!\n\nFire is hot.");
        var result = await RunAsync("ingest", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ingested 4 sentences", lines[^1]);
        Assert.Equal(4, lines.Length - 1);
        Assert.All(lines[..^1], l => Assert.Matches("^[0-9a-f]{64} (new|already-stored)$", l));

        // Streaming again gives the same ids, now already stored.
        var again = await RunAsync("ingest", file);
        var againLines = again.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[..^1].Select(l => l[..64]), againLines[..^1].Select(l => l[..64]));
        Assert.All(againLines[..^1], l => Assert.EndsWith("already-stored", l));
    }

    [Fact]
    public async Task VerifyExample_PrintsAVerdictFromTheLabelsAndRankedEvidence()
    {
        string evidence = WriteFile("example-evidence.txt", "Rain falls from clouds. The sun is hot.");
        var result = await RunAsync("verify", "Rain falls from the sky.", evidence);
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches("^verdict: (entailment|neutral|contradiction)$", lines[0]);
        Assert.Matches("^rank 1: (entailment|neutral|contradiction) [0-9a-f]{64}$", lines[1]);
        Assert.Matches("^rank 2: (entailment|neutral|contradiction) [0-9a-f]{64}$", lines[2]);
    }

    [Fact]
    public async Task AskExample_AnswersYesOrNoMatchingTheProbability()
    {
        var result = await RunAsync("ask", "Is the sky blue?", "The sky is blue.", "yesno");
        Assert.True(result.ExitCode == 0, result.ToString());
        var match = System.Text.RegularExpressions.Regex.Match(result.Stdout.Trim(), @"^answer: (yes|no) p\(yes\)=([0-9.]+)$");
        Assert.True(match.Success, result.Stdout);
        double yes = double.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(yes >= 0.5 ? "yes" : "no", match.Groups[1].Value);
    }
}
