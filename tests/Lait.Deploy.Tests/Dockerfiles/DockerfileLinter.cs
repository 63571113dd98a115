namespace Lait.Deploy.Tests.Dockerfiles;

/// <summary>What the linter checks the Dockerfile against: the server's settings and the checkout.</summary>
public sealed record DockerLintContext(
    IReadOnlySet<string> ServerEnvironmentNames,
    string? ContextDirectory = null,
    IReadOnlySet<string>? SourcesAllowedMissing = null);

/// <summary>
/// Our Dockerfile rules (hadolint is not packaged for Debian bookworm). Each problem is one line
/// naming the rule; an empty list means the file passes.
/// </summary>
public static class DockerfileLinter
{
    public const string RuntimeImage = "mcr.microsoft.com/dotnet/aspnet";
    public const string SdkImage = "mcr.microsoft.com/dotnet/sdk";
    public const int GrpcPort = 50051;
    public const string ProbedService = "lait.v1.Lait";

    public static IReadOnlyList<string> Lint(string text, DockerLintContext context)
    {
        Dockerfile file;
        try
        {
            file = Dockerfile.Parse(text);
        }
        catch (FormatException ex)
        {
            return [$"parse: {ex.Message}"];
        }
        var problems = new List<string>();
        var final = file.Final;

        // Stages: named, a build stage on the SDK, the final one on the ASP.NET runtime.
        foreach (var stage in file.Stages)
        {
            if (stage.Name is null) problems.Add($"stage-named: FROM {stage.Image} (line {stage.Line}) has no AS name");
        }
        if (file.Stages.Count < 2) problems.Add("multi-stage: one stage only; build with the SDK, run on the runtime image");
        if (!file.Stages.Take(file.Stages.Count - 1).Any(s => ImageRepository(s.Image) == SdkImage))
        {
            problems.Add($"build-stage: no stage before the last is FROM {SdkImage}");
        }
        if (ImageRepository(final.Image) != RuntimeImage || !ImageTag(final.Image).StartsWith("10.0", StringComparison.Ordinal))
        {
            problems.Add($"final-runtime: the final stage is FROM {final.Image}, expected {RuntimeImage}:10.0");
        }

        // The final stage copies the build output from an earlier, named stage.
        var earlierNames = file.Stages.Take(file.Stages.Count - 1).Select(s => s.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var copiesFrom = final.All("COPY").Where(c => c.Flags.ContainsKey("from")).ToList();
        if (copiesFrom.Count == 0) problems.Add("copy-from-build: the final stage has no COPY --from=<build stage>");
        foreach (var c in copiesFrom)
        {
            if (!earlierNames.Contains(c.Flags["from"])) problems.Add($"copy-from-build: COPY --from={c.Flags["from"]} (line {c.Line}) names no earlier stage");
        }

        // ENTRYPOINT: exec form (signals reach dotnet, not a shell), after a non-root USER.
        var entrypoints = final.All("ENTRYPOINT").ToList();
        var entrypoint = entrypoints.LastOrDefault();
        if (entrypoint is null) problems.Add("entrypoint: the final stage has no ENTRYPOINT");
        else if (entrypoint.ExecForm is null) problems.Add($"entrypoint-exec-form: ENTRYPOINT (line {entrypoint.Line}) uses the shell form; SIGTERM would not reach the server");
        if (final.All("CMD").Any(c => c.ExecForm is null)) problems.Add("cmd-exec-form: CMD uses the shell form");

        var users = final.All("USER").ToList();
        var lastUser = users.LastOrDefault(u => entrypoint is null || u.Line < entrypoint.Line);
        if (lastUser is null) problems.Add("non-root-user: no USER before ENTRYPOINT: the server would run as root");
        else if (IsRoot(lastUser.Arguments)) problems.Add($"non-root-user: USER {lastUser.Arguments} (line {lastUser.Line}) is root");
        if (entrypoint is not null && users.Any(u => u.Line > entrypoint.Line)) problems.Add("non-root-user: USER changes after ENTRYPOINT");

        // HEALTHCHECK: the server's own grpc.health.v1 probe, exec form.
        var health = final.All("HEALTHCHECK").LastOrDefault();
        if (health is null) problems.Add("healthcheck: the final stage has no HEALTHCHECK");
        else
        {
            string args = health.Arguments;
            if (args.Trim().Equals("NONE", StringComparison.OrdinalIgnoreCase)) problems.Add("healthcheck: HEALTHCHECK NONE");
            else if (!args.StartsWith("CMD", StringComparison.OrdinalIgnoreCase)) problems.Add("healthcheck: HEALTHCHECK has no CMD");
            else
            {
                var words = Dockerfile.ParseExecForm(args[3..]);
                if (words is null) problems.Add("healthcheck-exec-form: HEALTHCHECK CMD uses the shell form");
                else
                {
                    int probe = words.ToList().IndexOf("--probe");
                    if (probe < 0) problems.Add("healthcheck-probe: HEALTHCHECK does not run the server's --probe");
                    if (entrypoint?.ExecForm is { } ep && !ep.All(words.Contains)) problems.Add("healthcheck-probe: HEALTHCHECK does not run the ENTRYPOINT's program");
                    if (probe >= 0 && (probe + 1 >= words.Count || words[probe + 1] != ProbedService)) problems.Add($"healthcheck-probe: --probe should name {ProbedService}");
                }
            }
        }

        // Environment: known settings, listening on every interface, ports and volume consistent.
        var env = Dockerfile.Environment(final);
        foreach (string name in env.Keys.Where(k => k.StartsWith("LAIT_", StringComparison.Ordinal)))
        {
            if (!context.ServerEnvironmentNames.Contains(name)) problems.Add($"env-known: ENV {name} is not read by the server (src/Lait.Server/Hosting)");
        }
        if (!env.TryGetValue("LAIT_HOST", out string? host) || host != "0.0.0.0") problems.Add("env-host: ENV LAIT_HOST must be 0.0.0.0 (the server binds 127.0.0.1 by default)");

        var exposed = final.All("EXPOSE").SelectMany(e => Dockerfile.SplitWords(e.Arguments)).Select(p => p.Split('/')[0]).ToHashSet(StringComparer.Ordinal);
        string grpcPort = env.GetValueOrDefault("LAIT_PORT") ?? GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (grpcPort != GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture)) problems.Add($"env-port: LAIT_PORT is {grpcPort}, expected {GrpcPort}");
        if (!exposed.Contains(grpcPort)) problems.Add($"expose: port {grpcPort} (gRPC) is not EXPOSEd");
        if (env.TryGetValue("LAIT_METRICS_PORT", out string? metricsPort) && metricsPort != "-1" && !exposed.Contains(metricsPort))
        {
            problems.Add($"expose: metrics port {metricsPort} is not EXPOSEd");
        }

        var volumes = final.All("VOLUME").SelectMany(v => Dockerfile.ParseExecForm(v.Arguments) ?? Dockerfile.SplitWords(v.Arguments)).Select(TrimSlash).ToHashSet(StringComparer.Ordinal);
        if (!env.TryGetValue("LAIT_STORE_DIR", out string? storeDir)) problems.Add("volume-store: ENV LAIT_STORE_DIR is not set");
        else if (!volumes.Contains(TrimSlash(storeDir))) problems.Add($"volume-store: LAIT_STORE_DIR {storeDir} is not a VOLUME");
        if (!storeDir?.StartsWith('/') ?? false) problems.Add("volume-store: LAIT_STORE_DIR must be absolute");

        // COPY sources from the build context exist (so `docker build` does not fail on a missing path).
        if (context.ContextDirectory is { } root)
        {
            foreach (var copy in file.Stages.SelectMany(s => s.All("COPY").Concat(s.All("ADD"))).Where(c => !c.Flags.ContainsKey("from")))
            {
                var words = Dockerfile.ParseExecForm(copy.Arguments) ?? Dockerfile.SplitWords(copy.Arguments);
                foreach (string source in words.Take(words.Count - 1))
                {
                    string path = Path.Combine(root, TrimSlash(source));
                    bool allowed = context.SourcesAllowedMissing?.Contains(TrimSlash(source)) ?? false;
                    if (!allowed && !File.Exists(path) && !Directory.Exists(path)) problems.Add($"copy-source: COPY {source} (line {copy.Line}): not in the build context");
                }
            }
        }
        return problems;
    }

    private static bool IsRoot(string user)
    {
        string name = user.Trim().Split(':')[0];
        return name is "root" or "0" or "";
    }

    private static string TrimSlash(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    private static string ImageRepository(string image)
    {
        int at = image.IndexOf('@');
        if (at >= 0) image = image[..at];
        int colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[..colon] : image;
    }

    private static string ImageTag(string image)
    {
        int colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? image[(colon + 1)..] : "latest";
    }
}
