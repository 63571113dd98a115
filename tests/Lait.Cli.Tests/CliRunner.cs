using System.Diagnostics;
using Lait.Testing;

namespace Lait.Cli.Tests;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs `lait` in-process through its entry point, or as a real process from its build output.</summary>
public static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await LaitCli.RunAsync(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    public static string BuildOutput(string project, string assembly)
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        string dll = Path.Combine(ServerProcess.RepoRoot, project, "bin", configuration, "net10.0", assembly);
        if (!File.Exists(dll)) throw new FileNotFoundException($"build {project} first: {dll} is missing");
        return dll;
    }

    public static string LaitDll => BuildOutput(Path.Combine("clients", "csharp", "Lait.Cli"), "lait.dll");

    /// <summary>`dotnet DLL args...` with stdout and stderr redirected (so never a terminal), killed after 120 s.</summary>
    public static Task<CliResult> RunProcessAsync(string dll, params string[] args) => RunProcessAsync(dll, new Dictionary<string, string>(), args);

    /// <summary>As above, with these environment variables set for the child.</summary>
    public static async Task<CliResult> RunProcessAsync(string dll, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("LAIT_ADDRESS");
        psi.Environment.Remove("LAIT_API_KEY");
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start dotnet");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{dll} {string.Join(' ', args)} did not finish in 120 s");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
