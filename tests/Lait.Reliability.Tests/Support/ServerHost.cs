using System.Diagnostics;
using System.Net.Security;
using System.Text;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Testing;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Reliability.Tests.Support;

/// <summary>
/// A Lait.Server process like <see cref="ServerProcess"/>, but one that also knows its process id
/// (for RSS readings) and can talk TLS (https with a caller-supplied certificate check).
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private ServerHost(Process process, StringBuilder log, int port, GrpcChannel channel)
    {
        _process = process;
        _log = log;
        Port = port;
        Channel = channel;
        Client = new LaitClient(channel);
    }

    public int Port { get; }
    public int ProcessId => _process.Id;
    public GrpcChannel Channel { get; }
    public LaitClient Client { get; }
    public string Log { get { lock (_log) return _log.ToString(); } }

    public static async Task<ServerHost> StartAsync(string[] args, RemoteCertificateValidationCallback? tlsValidation = null, string? apiKey = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])[ServerProcess.ServerDll, "--port", "0", .. args]) psi.ArgumentList.Add(a);
        if (!args.Contains("--metrics-port")) foreach (var a in new[] { "--metrics-port", "-1" }) psi.ArgumentList.Add(a);
        psi.Environment.Remove("OPENBLAS_CORETYPE");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the server");
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal)) listening.TrySetResult(int.Parse(e.Data[(e.Data.LastIndexOf(':') + 1)..]));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException($"server exited with {process.ExitCode}:\n{log}"));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        int port;
        try
        {
            port = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true); // never leave a server behind
            throw new TimeoutException($"server did not print LISTENING within 60 s:\n{log}");
        }
        string scheme = tlsValidation is null ? "http" : "https";
        var channel = GrpcChannel.ForAddress($"{scheme}://127.0.0.1:{port}", new GrpcChannelOptions { ServerCertificateValidation = tlsValidation, ApiKey = apiKey });
        var host = new ServerHost(process, log, port, channel);
        var health = new HealthClient(channel);
        var until = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"server exited with {process.ExitCode}:\n{host.Log}");
            try
            {
                if (await health.CheckAsync("lait.v1.Lait") == ServingStatus.Serving) return host;
            }
            catch (RpcException) when (DateTime.UtcNow < until)
            {
            }
            if (DateTime.UtcNow > until)
            {
                await host.DisposeAsync();
                throw new TimeoutException($"server did not report SERVING within 60 s:\n{host.Log}");
            }
            await Task.Delay(50);
        }
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

    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        if (!_process.HasExited)
        {
            // SIGTERM: the server drains and checkpoints; SIGKILL if it has not gone within 30 s.
            _ = SendSignal(_process.Id, 15);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                await KillAsync();
            }
        }
        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
