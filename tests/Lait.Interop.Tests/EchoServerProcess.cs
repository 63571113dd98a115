using System.Diagnostics;
using System.Text;

namespace Lait.Interop.Tests;

/// <summary>
/// One echo server process with the EchoServer CLI contract: started with --port 0, ready once it
/// prints "LISTENING 127.0.0.1:&lt;port&gt;", stopped by closing its stdin (killed if it lingers).
/// </summary>
public sealed class EchoServerProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private EchoServerProcess(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>host:port the server listens on.</summary>
    public string Address { get; }

    public string Name { get; private init; } = "";

    public bool HasExited => _process.HasExited;

    public static async Task<EchoServerProcess> StartAsync(string name, string fileName, IReadOnlyList<string> prefixArguments, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (string argument in prefixArguments.Concat(["--port", "0"]).Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var log = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException($"{name} closed stdout before LISTENING"));
                return;
            }

            Append(log, e.Data);
            if (e.Data.StartsWith("LISTENING ", StringComparison.Ordinal))
            {
                listening.TrySetResult(e.Data["LISTENING ".Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string address = await listening.Task.WaitAsync(StartTimeout).ConfigureAwait(false);
            var server = new EchoServerProcess(process, address) { Name = name };
            lock (log)
            {
                server._log.Append(log);
            }

            process.OutputDataReceived += (_, e) => Append(server._log, e.Data);
            process.ErrorDataReceived += (_, e) => Append(server._log, e.Data);
            return server;
        }
        catch (Exception ex)
        {
            Stop(process);
            string text;
            lock (log)
            {
                text = log.ToString();
            }

            throw new InvalidOperationException(
                $"{name} ({fileName} {string.Join(' ', info.ArgumentList)}) did not print LISTENING: {ex.Message}\n{text}", ex);
        }
    }

    /// <summary>The server's own output so far (its log goes to stderr), for failure messages.</summary>
    public string LogTail(int maxChars = 4000)
    {
        lock (_log)
        {
            string text = _log.ToString();
            return text.Length <= maxChars ? text : text[^maxChars..];
        }
    }

    public void Dispose() => Stop(_process);

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.StandardInput.Close(); // the contract: stdin closed = shut down
                if (!process.WaitForExit(10_000))
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5_000);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }
        finally
        {
            process.Dispose();
        }
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }
}
