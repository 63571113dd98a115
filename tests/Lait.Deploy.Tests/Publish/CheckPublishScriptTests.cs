using Lait.Deploy.Tests.Support;
using Lait.Testing;

namespace Lait.Deploy.Tests.Publish;

public sealed class CheckPublishScriptTests
{
    /// <summary>
    /// scripts/check-publish.sh: the published server started as the image's ENTRYPOINT starts it
    /// reports SERVING to --probe, answers /metrics and exits 0 on SIGTERM. It publishes the build
    /// this test run already made (--no-build), so nothing is recompiled under the other tests.
    /// </summary>
    [Fact]
    [Trait("Category", "Publish")]
    public async Task PublishedServer_StartsLikeTheImageProbesServingAndStopsCleanly()
    {
        string modelDir = Directory.CreateTempSubdirectory("lait-deploy-model-").FullName;
        try
        {
            TinyModelWriter.Write(Path.Combine(modelDir, "tiny"), new TinyModelWriter.Options());
            var result = await ExternalTool.RunAsync("bash",
                ["scripts/check-publish.sh", "--no-build", "--configuration", Configuration, "--model-dir", Path.Combine(modelDir, "tiny"), "--timeout", "90"],
                RepoFiles.Root, TimeSpan.FromSeconds(180));
            Assert.True(result.ExitCode == 0, "check-publish.sh failed:\n" + result.Output);
            Assert.Contains("--probe lait.v1.Lait exited 0", result.StdOut);
            Assert.Contains("SIGTERM -> exit 0", result.StdOut);
        }
        finally
        {
            Directory.Delete(modelDir, recursive: true);
        }
    }

    /// <summary>The check can fail: a model the server cannot load ends start-up, and the script says so.</summary>
    [Fact]
    [Trait("Category", "Publish")]
    public async Task ServerThatCannotLoadItsModel_FailsTheCheck()
    {
        string modelDir = Directory.CreateTempSubdirectory("lait-deploy-badmodel-").FullName;
        try
        {
            string bad = Path.Combine(modelDir, "bad");
            TinyModelWriter.Write(bad, new TinyModelWriter.Options());
            File.WriteAllText(Path.Combine(bad, "model.safetensors"), "not a safetensors file");
            var result = await ExternalTool.RunAsync("bash",
                ["scripts/check-publish.sh", "--no-build", "--configuration", Configuration, "--model-dir", bad, "--timeout", "60"],
                RepoFiles.Root, TimeSpan.FromSeconds(150));
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("the server exited during start-up", result.StdErr);
            Assert.DoesNotContain("check-publish: OK", result.StdOut);
        }
        finally
        {
            Directory.Delete(modelDir, recursive: true);
        }
    }

    private static string Configuration =>
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
}
