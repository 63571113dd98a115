using Lait.Deploy.Tests.Support;

namespace Lait.Deploy.Tests.Manifests;

public sealed class YamlLintTests
{
    [Fact]
    public async Task DeployFolder_PassesYamllintWithItsConfig()
    {
        var result = await ExternalTool.RunAsync("yamllint", ["--strict", "-c", "deploy/.yamllint", "deploy/"], RepoFiles.Root, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, "yamllint deploy/:\n" + result.Output);
    }

    [Fact]
    public async Task Yamllint_RejectsABrokenManifest()
    {
        // The linter really runs: a duplicated key and a tab must fail it.
        string dir = Directory.CreateTempSubdirectory("lait-yamllint-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "bad.yaml"), "kind: Service\nkind: ConfigMap\nspec:\n\tports: []\n");
            var result = await ExternalTool.RunAsync("yamllint", ["-c", RepoFiles.PathOf("deploy/.yamllint"), dir], RepoFiles.Root, TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, result.ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
