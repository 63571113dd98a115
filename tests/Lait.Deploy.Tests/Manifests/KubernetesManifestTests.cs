using System.Text.Json.Nodes;
using Lait.Deploy.Tests.Dockerfiles;
using Lait.Deploy.Tests.Support;

namespace Lait.Deploy.Tests.Manifests;

/// <summary>
/// The fields of deploy/k8s the service depends on, checked against each other, the Dockerfile and
/// the server's settings source: ports, probe service names, bind address, store path, image, user.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static async Task<Manifests> LoadAsync() => new(await YamlFiles.KubernetesObjectsAsync());

    private sealed class Manifests(IReadOnlyList<JsonObject> objects)
    {
        public IReadOnlyList<JsonObject> Objects { get; } = objects;

        public JsonObject Single(string kind) => Assert.Single(Objects, o => o.Str("kind") == kind);

        public JsonObject StatefulSet => Single("StatefulSet");
        public JsonObject ConfigMap => Single("ConfigMap");
        public JsonObject PodSpec => (JsonObject)StatefulSet.Node("spec.template.spec")!;
        public JsonObject Container => Assert.Single(PodSpec.Items("containers"), c => c.Str("name") == "lait");
        public IReadOnlyDictionary<string, string> Settings =>
            ConfigMap.Node("data")!.AsObject().ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);
    }

    private static Dockerfile RepoDockerfile => Dockerfile.Parse(File.ReadAllText(RepoFiles.PathOf("Dockerfile")));

    [Fact]
    public async Task Kustomization_ListsEveryManifestFile()
    {
        var kustomization = (await YamlFiles.LoadAsync("deploy/k8s/kustomization.yaml")).Values.Single().Single();
        var listed = kustomization.Node("resources")!.AsArray().Select(r => r!.ToString()).ToHashSet(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(RepoFiles.PathOf("deploy/k8s"), "*.yaml").Select(Path.GetFileName)
            .Where(f => f != "kustomization.yaml").ToHashSet(StringComparer.Ordinal);
        Assert.Equal(files.Order(), listed.Order());
    }

    [Fact]
    public async Task Manifests_HaveEveryKindTheIssueAsksFor()
    {
        var m = await LoadAsync();
        foreach (string kind in new[] { "StatefulSet", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler" }) m.Single(kind);
        var services = m.Objects.Where(o => o.Str("kind") == "Service").ToList();
        Assert.Contains(services, s => s.Str("spec.clusterIP") == "None");
        Assert.Contains(services, s => s.Str("spec.clusterIP") != "None");
        // The store is embedded: one PVC per pod, from the StatefulSet's claim templates.
        Assert.NotEmpty(m.StatefulSet.Items("spec.volumeClaimTemplates"));
        Assert.DoesNotContain(m.Objects, o => o.Str("kind") == "Secret"); // referenced, never committed
    }

    [Fact]
    public async Task Container_ListensOnTheServerPortsAndEveryInterface()
    {
        var m = await LoadAsync();
        var ports = m.Container.Items("ports").ToDictionary(p => p.Str("name")!, p => p.Str("containerPort")!, StringComparer.Ordinal);
        Assert.Equal("50051", ports["grpc"]);
        Assert.Equal("9464", ports["metrics"]);
        Assert.Equal("0.0.0.0", m.Settings["LAIT_HOST"]);
        Assert.Equal(ports["grpc"], m.Settings["LAIT_PORT"]);
        Assert.Equal(ports["metrics"], m.Settings["LAIT_METRICS_PORT"]);
        Assert.Equal(ports["metrics"], AnnotationPort(m.StatefulSet));
        Assert.Contains(m.Container.Items("envFrom"), e => e.Str("configMapRef.name") == m.ConfigMap.Str("metadata.name"));
    }

    private static string? AnnotationPort(JsonObject statefulSet) =>
        statefulSet.Node("spec.template.metadata.annotations") is JsonObject a && a.TryGetPropertyValue("prometheus.io/port", out var v) ? v?.ToString() : null;

    [Fact]
    public async Task Probes_UseNativeGrpcHealthOnTheGrpcPort()
    {
        var c = (await LoadAsync()).Container;
        Assert.Equal("50051", c.Str("readinessProbe.grpc.port"));
        Assert.Equal(DockerfileLinter.ProbedService, c.Str("readinessProbe.grpc.service"));
        Assert.Equal("50051", c.Str("livenessProbe.grpc.port"));
        Assert.Equal("", c.Str("livenessProbe.grpc.service"));
        Assert.Equal("50051", c.Str("startupProbe.grpc.port"));
        // Start-up (model load, store recovery) gets far longer than liveness would allow.
        int startupBudget = int.Parse(c.Str("startupProbe.periodSeconds")!) * int.Parse(c.Str("startupProbe.failureThreshold")!);
        int livenessBudget = int.Parse(c.Str("livenessProbe.periodSeconds")!) * int.Parse(c.Str("livenessProbe.failureThreshold")!);
        Assert.True(startupBudget >= 120 && startupBudget > livenessBudget, $"startup budget {startupBudget}s, liveness {livenessBudget}s");
    }

    [Fact]
    public async Task Store_IsAPerPodVolumeMountedAtTheConfiguredStoreDir()
    {
        var m = await LoadAsync();
        string storeDir = m.Settings["LAIT_STORE_DIR"];
        var claim = Assert.Single(m.StatefulSet.Items("spec.volumeClaimTemplates"));
        string claimName = claim.Str("metadata.name")!;
        var mount = Assert.Single(m.Container.Items("volumeMounts"), v => v.Str("name") == claimName);
        Assert.Equal(storeDir, mount.Str("mountPath"));
        Assert.Equal("ReadWriteOnce", Assert.Single(claim.Node("spec.accessModes")!.AsArray())!.ToString());
        Assert.NotNull(claim.Str("spec.resources.requests.storage"));
        // The same directory is the image's VOLUME and ENV default.
        Assert.Equal(storeDir, Dockerfile.Environment(RepoDockerfile.Final)["LAIT_STORE_DIR"]);
    }

    [Fact]
    public async Task Settings_NameOnlyVariablesTheServerReads()
    {
        var m = await LoadAsync();
        var known = RepoFiles.ServerEnvironmentNames();
        var used = m.Settings.Keys.Concat(m.Container.Items("env").Select(e => e.Str("name")!));
        Assert.All(used, name => Assert.Contains(name, known));
        Assert.Equal(Dockerfile.Environment(RepoDockerfile.Final)["LAIT_MODEL_DIRS"], m.Settings["LAIT_MODEL_DIRS"]);
    }

    [Fact]
    public async Task ApiKeys_ComeFromASecretReferenceNotAValue()
    {
        var m = await LoadAsync();
        Assert.DoesNotContain("LAIT_API_KEYS", m.Settings.Keys);
        var apiKeys = Assert.Single(m.Container.Items("env"), e => e.Str("name") == "LAIT_API_KEYS");
        Assert.Null(apiKeys.Str("value"));
        Assert.NotNull(apiKeys.Str("valueFrom.secretKeyRef.name"));
        Assert.NotNull(apiKeys.Str("valueFrom.secretKeyRef.key"));
    }

    [Fact]
    public async Task Pod_RunsAsTheImagesNonRootUserWithLimits()
    {
        var m = await LoadAsync();
        Assert.Equal("true", m.PodSpec.Str("securityContext.runAsNonRoot")?.ToLowerInvariant());
        // The uid the Dockerfile creates (useradd --uid) is the one Kubernetes runs.
        string useradd = RepoDockerfile.Final.All("RUN").Select(r => r.Arguments).Single(a => a.Contains("useradd", StringComparison.Ordinal));
        var words = Dockerfile.SplitWords(useradd);
        string uid = words[words.IndexOf("--uid") + 1];
        Assert.Equal(uid, m.PodSpec.Str("securityContext.runAsUser"));
        Assert.Equal(uid, m.PodSpec.Str("securityContext.fsGroup"));
        Assert.Equal("false", m.Container.Str("securityContext.allowPrivilegeEscalation")?.ToLowerInvariant());
        foreach (string r in new[] { "requests.cpu", "requests.memory", "limits.memory" }) Assert.NotNull(m.Container.Str("resources." + r));
        Assert.True(int.Parse(m.PodSpec.Str("terminationGracePeriodSeconds")!) >= 10);
    }

    [Fact]
    public async Task ServicesBudgetAndAutoscaler_SelectTheStatefulSetsPods()
    {
        var m = await LoadAsync();
        var podLabels = m.StatefulSet.Node("spec.template.metadata.labels")!.AsObject();
        bool Selects(JsonNode? selector) => selector is JsonObject s && s.Count > 0
            && s.All(p => podLabels.TryGetPropertyValue(p.Key, out var v) && v!.ToString() == p.Value!.ToString());

        Assert.True(Selects(m.StatefulSet.Node("spec.selector.matchLabels")));
        Assert.True(Selects(m.Single("PodDisruptionBudget").Node("spec.selector.matchLabels")));
        var containerPortNames = m.Container.Items("ports").Select(p => p.Str("name")).ToHashSet();
        foreach (var service in m.Objects.Where(o => o.Str("kind") == "Service"))
        {
            Assert.True(Selects(service.Node("spec.selector")), $"service {service.Str("metadata.name")} selects no lait pod");
            Assert.All(service.Items("spec.ports"), p => Assert.Contains(p.Str("targetPort"), containerPortNames));
            Assert.Contains(service.Items("spec.ports"), p => p.Str("port") == "50051");
        }
        var headless = Assert.Single(m.Objects, o => o.Str("kind") == "Service" && o.Str("spec.clusterIP") == "None");
        Assert.Equal(headless.Str("metadata.name"), m.StatefulSet.Str("spec.serviceName"));

        var hpa = m.Single("HorizontalPodAutoscaler");
        Assert.Equal("StatefulSet", hpa.Str("spec.scaleTargetRef.kind"));
        Assert.Equal(m.StatefulSet.Str("metadata.name"), hpa.Str("spec.scaleTargetRef.name"));
        Assert.True(int.Parse(hpa.Str("spec.minReplicas")!) <= int.Parse(hpa.Str("spec.maxReplicas")!));
    }

    [Fact]
    public async Task Image_IsTheOneTheDockerfileBuilds()
    {
        var m = await LoadAsync();
        Assert.Equal(DeployFacts.ImageRepository, DeployFacts.Repository(m.Container.Str("image")!));
        var kustomization = (await YamlFiles.LoadAsync("deploy/k8s/kustomization.yaml")).Values.Single().Single();
        Assert.Contains(kustomization.Items("images"), i => i.Str("name") == DeployFacts.ImageRepository);
        Assert.Contains($"docker build -t {DeployFacts.ImageRepository} .", File.ReadAllText(RepoFiles.PathOf("Dockerfile")));
    }
}
