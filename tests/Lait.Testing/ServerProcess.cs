using Grpc.Net.Client;
using System.Diagnostics;
using System.Net.Security;
using System.Text;
using Lait.Client;
using Grpc.Core;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Testing;

/// <summary>
/// A real Lait.Server process on 127.0.0.1 with an ephemeral port, started from the build output
/// exactly as a user starts it, and stopped with SIGTERM (graceful) or SIGKILL.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServerProcess(Process process, int port, GrpcChannel channel)
    {
        _process = process;
        Port = port;
        Channel = channel;
        Client = new LaitClient(Channel);
    }

    public int Port { get; }
    public int ProcessId => _process.Id;
    public GrpcChannel Channel { get; }
    public LaitClient Client { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>The port of a listener the server announced on stdout ("HTTP 127.0.0.1:port", "METRICS ..."), or -1.</summary>
    public int AnnouncedPort(string listener)
    {
        foreach (string line in Log.Split('\n'))
        {
            if (line.StartsWith(listener + " ", StringComparison.Ordinal))
            {
                return int.Parse(line.TrimEnd()[(line.TrimEnd().LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return -1;
    }

    public static string ServerDll
    {
        get
        {
            string testDir = AppContext.BaseDirectory;
            string configuration = testDir.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            string dll = Path.Combine(RepoRoot, "src", "Lait.Server", "bin", configuration, "net10.0", "Lait.Server.dll");
            if (!File.Exists(dll)) throw new FileNotFoundException($"build the server first: {dll} is missing");
            return dll;
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LaitGrpc.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("LaitGrpc.sln not found above the test assembly");
        }
    }

    /// <summary>Starts the server and waits until it reports SERVING (or fails with its log).</summary>
    public static Task<ServerProcess> StartAsync(params string[] args) => StartAsync(args, tlsValidation: null, apiKey: null);

    /// <summary>
    /// Starts the server and waits until it reports SERVING (or fails with its log); a server that neither
    /// gets there nor exits within 60 s is killed, never left behind. With <paramref name="tlsValidation"/>
    /// the channel speaks https and checks the server certificate with it; <paramref name="apiKey"/> goes
    /// on every call.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(string[] args, RemoteCertificateValidationCallback? tlsValidation, string? apiKey)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(ServerDll);
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add("0");
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (!args.Contains("--metrics-port"))
        {
            psi.ArgumentList.Add("--metrics-port");
            psi.ArgumentList.Add("-1");
        }
        if (!args.Contains("--http-port"))
        {
            psi.ArgumentList.Add("--http-port");
            psi.ArgumentList.Add("-1");
        }
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server");
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(int.Parse(e.Data[(e.Data.LastIndexOf(':') + 1)..]));
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // WaitForExitAsync completes only after the redirected output has been read to the end, so the
        // message carries the server's last words (the Exited event can fire before they arrive).
        _ = process.WaitForExitAsync().ContinueWith(
            _ => { lock (log) listening.TrySetException(new InvalidOperationException($"server exited with {process.ExitCode}:\n{log}")); },
            TaskScheduler.Default);

        int port;
        try
        {
            port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            string output;
            lock (log) output = log.ToString();
            throw new TimeoutException($"server did not print LISTENING within 60 s:\n{output}");
        }

        string scheme = tlsValidation is null ? "http" : "https";
        var channel = LaitChannel.ForAddress($"{scheme}://127.0.0.1:{port}", new LaitChannelOptions { ServerCertificateValidation = tlsValidation, ApiKey = apiKey });
        var server = new ServerProcess(process, port, channel);
        lock (log) server._log.Append(log);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (server._log) server._log.AppendLine(e.Data); };
                var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"server exited with {process.ExitCode}:\n{server.Log}");
            try
            {
                if (await CheckHealthAsync(server.Channel, "lait.v1.Lait") == ServingStatus.Serving) return server;
            }
            catch (RpcException) when (DateTime.UtcNow < until)
            {
            }
            if (DateTime.UtcNow > until)
            {
                await server.DisposeAsync();
                throw new TimeoutException($"server did not report SERVING within 60 s:\n{server.Log}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>grpc.health.v1 Check of <paramref name="service"/> ("" = the server) through the generated health client.</summary>
    public static async Task<ServingStatus> CheckHealthAsync(GrpcChannel channel, string service = "")
    {
        var reply = await new Grpc.Health.V1.Health.HealthClient(channel)
            .CheckAsync(new Grpc.Health.V1.HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(10));
        return reply.Status;
    }

    /// <summary>Resident set size of the server process in KiB, from /proc/&lt;pid&gt;/status (VmRSS).</summary>
    public long ResidentKiB()
    {
        foreach (string line in File.ReadLines($"/proc/{ProcessId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]);
        }
        throw new InvalidOperationException("no VmRSS line");
    }

    /// <summary>SIGTERM and wait: the server drains calls and checkpoints its store.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            Posix.Kill(_process.Id, Posix.SigTerm);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no chance to flush anything.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        try
        {
            await StopAsync();
        }
        catch (TimeoutException)
        {
            await KillAsync();
        }
        _process.Dispose();
    }
}

internal static class Posix
{
    public const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int NativeKill(int pid, int signal);

    public static void Kill(int pid, int signal)
    {
        if (NativeKill(pid, signal) != 0) throw new InvalidOperationException($"kill({pid}, {signal}) failed");
    }
}

/// <summary>A temporary directory removed at dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lait-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
