using Lait.Testing;
using Xunit;

namespace Lait.Clients.Tests;

/// <summary>Finds the toolchains the client suites need and runs them; fails (never skips) without them.</summary>
public static class ClientSuites
{
    public const string Python = "/usr/bin/python3";
    public const string InstallHint = "run `bash scripts/install-test-deps.sh` (the README's test command does it)";

    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private static readonly Lazy<string?> PythonProblem = new(FindPythonProblem);
    private static readonly SemaphoreSlim StubsLock = new(1, 1);
    private static readonly SemaphoreSlim NodeBuildLock = new(1, 1);
    private static bool _stubsGenerated;
    private static bool _nodeBuilt;

    public static string PythonDir => Path.Combine(ServerProcess.RepoRoot, "clients", "python");
    public static string NodeDir => Path.Combine(ServerProcess.RepoRoot, "clients", "node");

    /// <summary>Checks python3-grpcio, python3-protobuf and protoc, then generates the stubs (once).</summary>
    public static async Task RequirePythonAsync()
    {
        if (PythonProblem.Value is string problem)
        {
            Assert.Fail($"{problem}: {InstallHint}");
        }

        await StubsLock.WaitAsync();
        try
        {
            if (!_stubsGenerated)
            {
                var result = await ChildProcess.RunAsync(Python, ["generate_stubs.py"], PythonDir, new Dictionary<string, string>(), Timeout);
                AssertPassed("clients/python/generate_stubs.py", result, null);
                _stubsGenerated = true;
            }
        }
        finally
        {
            StubsLock.Release();
        }
    }

    /// <summary>Checks node and clients/node/node_modules, then builds the client with tsc (once).</summary>
    public static async Task RequireNodeAsync()
    {
        if (FindOnPath("node") is null || FindOnPath("npm") is null)
        {
            Assert.Fail($"node or npm is not on PATH: install Node.js 20+, then {InstallHint}");
        }

        foreach (string package in new[] { "@grpc/grpc-js", "@grpc/proto-loader", "typescript" })
        {
            if (!File.Exists(Path.Combine(NodeDir, "node_modules", package, "package.json")))
            {
                Assert.Fail($"{NodeDir}/node_modules is missing {package}: {InstallHint} (it runs `npm ci` in clients/node)");
            }
        }

        await NodeBuildLock.WaitAsync();
        try
        {
            if (!_nodeBuilt)
            {
                var result = await ChildProcess.RunAsync("npm", ["run", "--silent", "build"], NodeDir, new Dictionary<string, string>(), Timeout);
                AssertPassed("clients/node `npm run build` (tsc)", result, null);
                _nodeBuilt = true;
            }
        }
        finally
        {
            NodeBuildLock.Release();
        }
    }

    /// <summary>Runs one unittest module of clients/python/tests (e.g. "test_client.py").</summary>
    public static async Task<ChildProcess.Result> RunPythonAsync(ClientsServerFixture fixture, string module)
    {
        await RequirePythonAsync();
        return await ChildProcess.RunAsync(Python, ["-m", "unittest", "discover", "-v", "-s", "tests", "-t", "tests", "-p", module],
            PythonDir, fixture.Environment, Timeout);
    }

    /// <summary>Runs one node:test file of clients/node/test (e.g. "client.test.ts", built to dist/test/*.js).</summary>
    public static async Task<ChildProcess.Result> RunNodeAsync(ClientsServerFixture fixture, string testFile)
    {
        await RequireNodeAsync();
        string built = Path.Combine("dist", "test", Path.ChangeExtension(testFile, ".js"));
        return await ChildProcess.RunAsync("node", ["--test", "--test-concurrency=1", "--test-reporter=spec", built],
            NodeDir, fixture.Environment, Timeout);
    }

    public static Task<ChildProcess.Result> RunPythonExampleAsync(ClientsServerFixture fixture, string example, params string[] arguments)
        => ChildProcess.RunAsync(Python, [Path.Combine("examples", example), .. arguments], PythonDir, fixture.Environment, Timeout);

    public static Task<ChildProcess.Result> RunNodeExampleAsync(ClientsServerFixture fixture, string example, params string[] arguments)
        => ChildProcess.RunAsync("node", [Path.Combine("dist", "examples", example), .. arguments], NodeDir, fixture.Environment, Timeout);

    /// <summary>Asserts exit code 0; the failure message carries the child's output and the server log.</summary>
    public static void AssertPassed(string what, ChildProcess.Result result, ClientsServerFixture? fixture)
    {
        if (result.ExitCode == 0)
        {
            return;
        }

        string why = result.TimedOut ? $"timed out after {Timeout}" : $"exit code {result.ExitCode}";
        string serverLog = fixture is null ? "" : $"\n===== server logs =====\n{fixture.ServerLogs}";
        Assert.Fail($"{what} failed ({why}).\n===== output =====\n{result.Output}{serverLog}");
    }

    private static string? FindPythonProblem()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing";
        }

        if (!File.Exists("/usr/bin/protoc") || !File.Exists("/usr/bin/grpc_python_plugin"))
        {
            return "/usr/bin/protoc (protobuf-compiler) or /usr/bin/grpc_python_plugin (protobuf-compiler-grpc) is missing";
        }

        var probe = ChildProcess.RunAsync(Python, ["-c", "import grpc, google.protobuf"], ServerProcess.RepoRoot,
            new Dictionary<string, string>(), TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return probe.ExitCode == 0 ? null : $"{Python} cannot import grpc/google.protobuf (python3-grpcio, python3-protobuf): {probe.Output.Trim()}";
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(dir, program);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
