using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Lait.Store.Tests.Support;

/// <summary>
/// A private redis-server on 127.0.0.1 with a free port and a temp directory, no persistence; stopped
/// (and its directory deleted) on dispose. Can be killed and restarted on the same port.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private readonly TempDirectory _directory = new("lait-redis");
    private Process? _process;

    public RedisServer()
    {
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public static string? ExecutablePath =>
        new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);

    public void Start()
    {
        var info = new ProcessStartInfo(ExecutablePath ?? throw new InvalidOperationException("redis-server is not installed"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--dir", _directory.Path,
                     "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no" })
            info.ArgumentList.Add(arg);
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(20);
            }
        }
        throw new InvalidOperationException("redis-server did not start listening within 10 s");
    }

    /// <summary>SIGKILL, as a crashed or unreachable Redis.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Kill();
        _directory.Dispose();
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>A fact that skips with a clear message where redis-server is not installed.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (RedisServer.ExecutablePath is null)
            Skip = "redis-server is not installed (scripts/install-test-deps.sh installs the Debian package)";
    }
}
