using System.Text.Json.Nodes;
using Lait.Deploy.Tests.Support;

namespace Lait.Deploy.Tests.Manifests;

/// <summary>deploy/ YAML files parsed (by python3-yaml) into JSON nodes, keyed by repo-relative path.</summary>
public static class YamlFiles
{
    public static async Task<IReadOnlyDictionary<string, IReadOnlyList<JsonObject>>> LoadAsync(params string[] relativePaths)
    {
        string script = RepoFiles.PathOf("tests/Lait.Deploy.Tests/Manifests/yaml_to_json.py");
        var result = await ExternalTool.RunAsync("/usr/bin/python3", [script, .. relativePaths], RepoFiles.Root, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"python3-yaml could not parse {string.Join(", ", relativePaths)} (is python3-yaml installed?):\n{result.Output}");
        var root = JsonNode.Parse(result.StdOut)!.AsObject();
        var files = new Dictionary<string, IReadOnlyList<JsonObject>>(StringComparer.Ordinal);
        foreach (var (path, docs) in root) files[path] = docs!.AsArray().Select(d => d!.AsObject()).ToList();
        return files;
    }

    /// <summary>Every Kubernetes object in deploy/k8s/*.yaml.</summary>
    public static async Task<IReadOnlyList<JsonObject>> KubernetesObjectsAsync()
    {
        var paths = Directory.EnumerateFiles(RepoFiles.PathOf("deploy/k8s"), "*.yaml")
            .Select(p => Path.GetRelativePath(RepoFiles.Root, p).Replace('\\', '/'))
            .Where(p => !p.EndsWith("kustomization.yaml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        var files = await LoadAsync(paths);
        return files.Values.SelectMany(d => d).ToList();
    }

    public static string? Str(this JsonNode? node, string path)
    {
        var n = Node(node, path);
        return n is JsonValue v ? v.ToString() : null;
    }

    /// <summary>A dotted path ("spec.template.spec") into objects; null when any step is missing.</summary>
    public static JsonNode? Node(this JsonNode? node, string path)
    {
        foreach (string step in path.Split('.'))
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(step, out node)) return null;
        }
        return node;
    }

    public static IEnumerable<JsonObject> Items(this JsonNode? node, string path) =>
        Node(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];
}
