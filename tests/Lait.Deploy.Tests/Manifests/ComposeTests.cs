using System.Text.Json.Nodes;
using Lait.Deploy.Tests.Dockerfiles;
using Lait.Deploy.Tests.Support;

namespace Lait.Deploy.Tests.Manifests;

/// <summary>deploy/compose.yaml and deploy/prometheus.yml: the fields the service depends on.</summary>
public sealed class ComposeTests
{
    private static async Task<JsonObject> ComposeAsync() => (await YamlFiles.LoadAsync("deploy/compose.yaml")).Values.Single().Single();

    private static JsonObject Service(JsonObject compose, string name) => (JsonObject)compose.Node("services." + name)!;

    private static Dictionary<string, string> Environment(JsonObject service) =>
        service.Node("environment") is JsonObject env
            ? env.ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    private static bool InProfile(JsonObject service) => service.Node("profiles") is JsonArray { Count: > 0 };

    [Fact]
    public async Task LaitService_PublishesBothPortsAndListensOnEveryInterface()
    {
        var lait = Service(await ComposeAsync(), "lait");
        Assert.False(InProfile(lait));
        var ports = lait.Node("ports")!.AsArray().Select(p => p!.ToString()).ToList();
        Assert.Contains("50051:50051", ports);
        Assert.Contains("9464:9464", ports);
        var env = Environment(lait);
        Assert.Equal("0.0.0.0", env["LAIT_HOST"]);
        Assert.Equal("50051", env["LAIT_PORT"]);
        Assert.Equal("9464", env["LAIT_METRICS_PORT"]);
        Assert.Equal(DeployFacts.ImageRepository, DeployFacts.Repository(lait.Str("image")!));
        Assert.Equal("..", lait.Str("build.context"));
    }

    [Fact]
    public async Task LaitService_KeepsTheStoreOnANamedVolumeAtTheStoreDir()
    {
        var compose = await ComposeAsync();
        var lait = Service(compose, "lait");
        string storeDir = Environment(lait)["LAIT_STORE_DIR"];
        Assert.Equal(Dockerfile.Environment(Dockerfile.Parse(File.ReadAllText(RepoFiles.PathOf("Dockerfile"))).Final)["LAIT_STORE_DIR"], storeDir);
        var mount = Assert.Single(lait.Node("volumes")!.AsArray().Select(v => v!.ToString()), v => v.EndsWith(":" + storeDir, StringComparison.Ordinal));
        string volume = mount[..mount.IndexOf(':')];
        Assert.True(compose.Node("volumes") is JsonObject volumes && volumes.ContainsKey(volume), $"volume {volume} is not declared");
    }

    [Fact]
    public async Task LaitService_HealthcheckRunsTheServersGrpcProbe()
    {
        var test = Service(await ComposeAsync(), "lait").Node("healthcheck.test")!.AsArray().Select(t => t!.ToString()).ToList();
        Assert.Equal("CMD", test[0]);
        Assert.Equal(DockerfileLinter.ProbedService, test[test.IndexOf("--probe") + 1]);
    }

    [Fact]
    public async Task DefaultServices_NameOnlyVariablesTheServerReads_PlannedOnesStayBehindAProfile()
    {
        var compose = await ComposeAsync();
        var known = RepoFiles.ServerEnvironmentNames();
        foreach (var (name, node) in compose.Node("services")!.AsObject())
        {
            var service = (JsonObject)node!;
            var unknown = Environment(service).Keys.Where(k => k.StartsWith("LAIT_", StringComparison.Ordinal) && !known.Contains(k)).ToList();
            // The multi-replica Redis setup needs a server setting that does not exist yet: it must
            // not start by default, where it would pretend to share a cache.
            Assert.True(unknown.Count == 0 || InProfile(service), $"service {name} uses {string.Join(", ", unknown)} outside a profile");
        }
        Assert.True(InProfile(Service(compose, "redis")));
    }

    [Fact]
    public async Task Prometheus_ScrapesTheMetricsPortOfTheLaitService()
    {
        var compose = await ComposeAsync();
        var prometheus = Service(compose, "prometheus");
        Assert.Contains(prometheus.Node("volumes")!.AsArray().Select(v => v!.ToString()), v => v.StartsWith("./prometheus.yml:", StringComparison.Ordinal));
        var config = (await YamlFiles.LoadAsync("deploy/prometheus.yml")).Values.Single().Single();
        var job = Assert.Single(config.Items("scrape_configs"), j => j.Str("job_name") == "lait");
        Assert.Equal("/metrics", job.Str("metrics_path"));
        var targets = job.Items("static_configs").SelectMany(s => s.Node("targets")!.AsArray()).Select(t => t!.ToString()).ToList();
        Assert.Contains("lait:" + Environment(Service(compose, "lait"))["LAIT_METRICS_PORT"], targets);
    }
}
