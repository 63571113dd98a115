using Xunit;

using Lait.Testing;

namespace Lait.Interop.Tests;

/// <summary>Runs the Python and Node interop suites (tests/interop) as child processes.</summary>
public static class InteropSuites
{
    public const string Python = "/usr/bin/python3";

    /// <summary>Areas of both suites; each is one test so that a failure names its area.</summary>
    public static readonly string[] Areas =
    [
        "calls", "errors", "deadlines", "cancellation", "compression", "limits",
        "metadata", "exceptions", "health", "reflection", "auth", "tls",
    ];

    private static readonly TimeSpan SuiteTimeout = TimeSpan.FromMinutes(10);
    private static readonly Lazy<string?> PythonProblem = new(FindPythonProblem);

    public static string NodeDir => Path.Combine(RepoPaths.InteropDir, "node");

    /// <summary>Fails (never skips) when Debian's python3-grpcio, python3-protobuf or protoc is missing.</summary>
    public static void RequirePython()
    {
        if (PythonProblem.Value is string problem)
        {
            Assert.Fail($"{problem}: {RepoPaths.InstallHint}");
        }
    }

    /// <summary>Fails (never skips) when node or the suite's node_modules is missing.</summary>
    public static void RequireNode()
    {
        if (FindOnPath("node") is null)
        {
            Assert.Fail($"node is not on PATH: install Node.js 20+, then {RepoPaths.InstallHint}");
        }

        if (!File.Exists(Path.Combine(NodeDir, "node_modules", "@grpc", "grpc-js", "package.json")))
        {
            Assert.Fail($"{NodeDir}/node_modules is missing (@grpc/grpc-js): {RepoPaths.InstallHint}");
        }
    }

    public static Task<ChildProcess.Result> RunPythonAsync(IReadOnlyDictionary<string, string> environment, params string[] areas)
    {
        RequirePython();
        var arguments = new List<string> { Path.Combine(RepoPaths.InteropDir, "python", "interop_test.py") };
        foreach (string area in areas)
        {
            arguments.Add("--area");
            arguments.Add(area);
        }

        return ChildProcess.RunAsync(Python, arguments, Path.Combine(RepoPaths.InteropDir, "python"), environment, SuiteTimeout);
    }

    public static Task<ChildProcess.Result> RunNodeAsync(IReadOnlyDictionary<string, string> environment, params string[] areas)
    {
        RequireNode();
        var arguments = new List<string> { "--test", "--test-concurrency=1", "--test-reporter=spec" };
        arguments.AddRange(areas.Select(area => Path.Combine("test", $"{area}.test.js")));
        return ChildProcess.RunAsync("node", arguments, NodeDir, environment, SuiteTimeout);
    }

    /// <summary>Asserts the suite passed; the failure message carries its output and the servers' logs.</summary>
    public static void AssertPassed(string suite, ChildProcess.Result result, EchoServers servers)
    {
        if (result.ExitCode == 0)
        {
            return;
        }

        string why = result.TimedOut ? $"timed out after {SuiteTimeout}" : $"exit code {result.ExitCode}";
        Assert.Fail($"{suite} interop suite failed ({why}).\n===== suite output =====\n{result.Output}\n===== server logs =====\n{servers.ServerLogs()}");
    }

    private static string? FindPythonProblem()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is missing";
        }

        if (FindOnPath("protoc") is null || !File.Exists("/usr/bin/grpc_python_plugin"))
        {
            return "protoc (protobuf-compiler) or /usr/bin/grpc_python_plugin (protobuf-compiler-grpc) is missing";
        }

        ChildProcess.Result probe = ChildProcess.RunAsync(Python, ["-c", "import grpc, google.protobuf"], RepoPaths.Root,
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
