using System.Diagnostics;

namespace Lait.Bench.Transport;

/// <summary>The EchoServer as a child process (CLI contract: --port 0, "LISTENING host:port", stdin closed = stop).</summary>
public sealed class EchoServerProcess : IDisposable
{
    private readonly Process _process;

    private EchoServerProcess(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<EchoServerProcess> StartAsync(string dll)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add("0");
        // Room for the 64 KiB streaming messages and then some; the defaults would do too.
        info.ArgumentList.Add("--max-receive-bytes");
        info.ArgumentList.Add($"{16 * 1024 * 1024}");
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[server] {e.Data}");
            }
        };
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is string line)
        {
            if (line.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                return new EchoServerProcess(process, line["LISTENING ".Length..].Trim());
            }
        }

        process.Kill(entireProcessTree: true);
        throw new InvalidOperationException("the echo server exited before printing LISTENING");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
