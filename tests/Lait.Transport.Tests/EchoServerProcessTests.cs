using System.Diagnostics;
using Google.Protobuf;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Xunit;

namespace Lait.Transport.Tests;

/// <summary>
/// The echo server's command-line contract, which the Python and Node interop tests rely on:
/// flags, the single "LISTENING 127.0.0.1:port" line, and exit when stdin closes or on SIGTERM.
/// </summary>
public sealed class EchoServerProcessTests
{
    private static Process Start(string arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Lait.Transport.EchoServer.dll");
        var info = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(info)!;
    }

    private static async Task<int> ReadPortAsync(Process process)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        Assert.NotNull(line);
        Assert.Matches(@"^LISTENING 127\.0\.0\.1:\d+$", line);
        return int.Parse(line[(line.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Cli_ApiKeyAndReceiveLimitApply_AndClosingStdinStopsTheServer()
    {
        using Process process = Start("--port 0 --api-key sekret --max-receive-bytes 1000 --max-send-bytes 2000");
        try
        {
            int port = await ReadPortAsync(process);
            using GrpcChannel anonymous = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            using GrpcChannel authorized = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { ApiKey = "sekret" });

            RpcException noKey = await Assert.ThrowsAsync<RpcException>(() => anonymous.UnaryAsync(TestServer.Unary, new EchoRequest()));
            Assert.Equal(StatusCode.Unauthenticated, noKey.StatusCode);
            Assert.Equal("ok", (await authorized.UnaryAsync(TestServer.Unary, new EchoRequest { Message = "ok" })).Message);
            RpcException tooBig = await Assert.ThrowsAsync<RpcException>(() =>
                authorized.UnaryAsync(TestServer.Unary, new EchoRequest { Payload = ByteString.CopyFrom(new byte[1000]) }));
            Assert.Equal(StatusCode.ResourceExhausted, tooBig.StatusCode);
            RpcException sendTooBig = await Assert.ThrowsAsync<RpcException>(() =>
                authorized.UnaryAsync(TestServer.Unary, new EchoRequest { ResponsePayloadSize = 2000 }));
            Assert.Equal(StatusCode.ResourceExhausted, sendTooBig.StatusCode);
            Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving,
                await new HealthClient(anonymous).CheckAsync("lait.test.v1.Echo"));

            process.StandardInput.Close();
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exit.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task Cli_UnknownArgument_ExitsWithUsageError()
    {
        using Process process = Start("--port 0 --no-such-flag");
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(exit.Token);

        Assert.Equal(2, process.ExitCode);
    }
}
