using Lait.Deploy.Tests.Support;

namespace Lait.Deploy.Tests.Dockerfiles;

public sealed class DockerfileLintTests
{
    // Produced on another branch; the image build needs it, our checks do not (deploy/README.md).
    private const string DefaultModel = "models/lait-nli-minilm";

    private static string RepoDockerfile => File.ReadAllText(RepoFiles.PathOf("Dockerfile"));

    private static DockerLintContext Context(string? contextDirectory = null) => new(
        RepoFiles.ServerEnvironmentNames(), contextDirectory, new HashSet<string>(StringComparer.Ordinal) { DefaultModel });

    [Fact]
    public void ServerSettingsSource_NamesTheEnvironmentVariablesTheDeployFilesUse()
    {
        var names = RepoFiles.ServerEnvironmentNames();
        foreach (string expected in new[] { "LAIT_HOST", "LAIT_PORT", "LAIT_METRICS_PORT", "LAIT_STORE_DIR", "LAIT_MODEL_DIRS", "LAIT_API_KEYS", "LAIT_CODEC", "LAIT_DURABILITY" })
        {
            Assert.Contains(expected, names);
        }
    }

    [Fact]
    public void RepositoryDockerfile_PassesEveryRule()
    {
        var problems = DockerfileLinter.Lint(RepoDockerfile, Context(RepoFiles.Root));
        Assert.True(problems.Count == 0, "Dockerfile lint:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void RepositoryDockerfile_CopiesTheDefaultModelTheServerLoadsFromItsWorkdir()
    {
        var final = Dockerfile.Parse(RepoDockerfile).Final;
        var env = Dockerfile.Environment(final);
        Assert.Equal("/app", final.All("WORKDIR").Last().Arguments);
        Assert.Equal("/app/" + Lait.Server.Hosting.LaitSettings.DefaultModelDirectory, env["LAIT_MODEL_DIRS"]);
        Assert.Contains(final.All("COPY"), c => Dockerfile.SplitWords(c.Arguments) is [var src, var dst]
            && src.TrimEnd('/') == DefaultModel && dst.TrimEnd('/') == env["LAIT_MODEL_DIRS"]);
        // The model is in the allow-listed build context.
        Assert.Contains("!" + DefaultModel + "/", File.ReadAllLines(RepoFiles.PathOf(".dockerignore")));
    }

    [Fact]
    public void DockerIgnore_AllowsEveryPathTheDockerfileCopies()
    {
        var allowed = File.ReadAllLines(RepoFiles.PathOf(".dockerignore"))
            .Where(l => l.StartsWith('!')).Select(l => l[1..].TrimEnd('/')).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("*", File.ReadAllLines(RepoFiles.PathOf(".dockerignore")));
        var file = Dockerfile.Parse(RepoDockerfile);
        foreach (var copy in file.Stages.SelectMany(s => s.All("COPY")).Where(c => !c.Flags.ContainsKey("from")))
        {
            var words = Dockerfile.SplitWords(copy.Arguments);
            foreach (string source in words.Take(words.Count - 1))
            {
                Assert.True(allowed.Contains(source.TrimEnd('/')), $"COPY {source} (line {copy.Line}) is excluded by .dockerignore");
            }
        }
    }

    [Fact]
    public void Parser_JoinsContinuationsAndDropsCommentLinesInsideThem()
    {
        var file = Dockerfile.Parse("FROM a AS one\nENV A=1 \\\n# note\n    B=\"two words\"\nFROM b AS two\nUSER x\n");
        Assert.Equal(2, file.Stages.Count);
        var env = Dockerfile.Environment(file.Stages[0]);
        Assert.Equal("1", env["A"]);
        Assert.Equal("two words", env["B"]);
        Assert.Equal("two", file.Final.Name);
    }

    // Each mutation breaks one rule of the real Dockerfile; the linter must name that rule.
    [Theory]
    [InlineData("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/sdk:10.0", "stage-named")]
    [InlineData("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", "FROM mcr.microsoft.com/dotnet/sdk:10.0 AS runtime", "final-runtime")]
    [InlineData("USER lait:lait", "USER root", "non-root-user")]
    [InlineData("USER lait:lait", "", "non-root-user")]
    [InlineData("HEALTHCHECK --interval", "# HEALTHCHECK --interval", "healthcheck")]
    [InlineData("\"--probe\", \"lait.v1.Lait\"", "\"--version\"", "healthcheck-probe")]
    [InlineData("CMD [\"dotnet\", \"/app/Lait.Server.dll\", \"--probe\", \"lait.v1.Lait\"]", "CMD dotnet /app/Lait.Server.dll --probe lait.v1.Lait", "healthcheck-exec-form")]
    [InlineData("EXPOSE 50051 9464", "EXPOSE 9464", "expose")]
    [InlineData("VOLUME /var/lib/lait/store", "VOLUME /var/lib/lait/data", "volume-store")]
    [InlineData("ENTRYPOINT [\"dotnet\", \"/app/Lait.Server.dll\"]", "ENTRYPOINT dotnet /app/Lait.Server.dll", "entrypoint-exec-form")]
    [InlineData("COPY --from=build /out/ /app/", "COPY --from=builder /out/ /app/", "copy-from-build")]
    [InlineData("COPY --from=build /out/ /app/", "", "copy-from-build")]
    [InlineData("LAIT_CODEC=fp16", "LAIT_CODECS=fp16", "env-known")]
    [InlineData("LAIT_HOST=0.0.0.0", "LAIT_HOST=127.0.0.1", "env-host")]
    [InlineData("COPY protos/ protos/", "COPY protobufs/ protos/", "copy-source")]
    public void MutatedDockerfile_FailsTheRuleItBreaks(string original, string replacement, string rule)
    {
        Assert.Contains(original, RepoDockerfile);
        string mutated = RepoDockerfile.Replace(original, replacement);
        var problems = DockerfileLinter.Lint(mutated, Context(RepoFiles.Root));
        Assert.Contains(problems, p => p.StartsWith(rule + ":", StringComparison.Ordinal));
    }
}
