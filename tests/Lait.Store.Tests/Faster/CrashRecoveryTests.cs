using System.Diagnostics;
using System.Runtime.InteropServices;
using Lait.Store.CrashHost;
using Lait.Store.Faster;
using Lait.Store.Ids;
using Lait.Store.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Lait.Store.Tests.Faster;

/// <summary>
/// kill -9 during heavy concurrent ingestion, many times, in a separate process
/// (tests/Lait.Store.CrashHost): every put the child acknowledged must read back byte-identical.
/// </summary>
public class CrashRecoveryTests(ITestOutputHelper output)
{
    private const int Cycles = 12;
    private const int Workers = 8;

    [Fact]
    public async Task KillNine_DuringConcurrentIngest_LosesNoAcknowledgedPut()
    {
        using var directory = new TempDirectory("lait-crash");
        int seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var rng = new Random(seed);
        var acked = new Dictionary<long, SegmentId>();
        var total = Stopwatch.StartNew();
        int cycles = 0;
        for (; cycles < Cycles && total.Elapsed < TimeSpan.FromSeconds(45); cycles++)
        {
            long firstSeed = (cycles + 1) * 1_000_000L;
            // Most kills land while acks flow (timed from the first ack); every fourth lands during
            // start-up, recovery or the first commits (timed from READY).
            bool duringIngest = cycles % 4 != 3;
            int killAfterMs = rng.Next(0, 700);
            var cycleAcks = await RunChildAndKillAsync(directory.Path, firstSeed, killAfterMs, duringIngest);
            foreach (var (s, id) in cycleAcks)
                acked.Add(s, id);

            await using var store = new FasterSegmentStore(CrashStates.Options(directory.Path));
            int verified = await VerifyAsync(store, acked);
            output.WriteLine($"cycle {cycles}: killed {killAfterMs} ms after {(duringIngest ? "the first ack" : "READY")}, {cycleAcks.Count} acks this cycle, " +
                $"{verified} acknowledged states verified after restart");
        }
        output.WriteLine($"{cycles} cycles, {acked.Count} acknowledged puts, {total.ElapsedMilliseconds} ms");
        Assert.True(cycles >= 8, $"only {cycles} kill cycles ran");
        Assert.True(acked.Count >= 100, $"only {acked.Count} puts were acknowledged; the ingest did not get going");
    }

    [Fact]
    public async Task SecondProcess_OpeningTheSameDirectory_IsRefusedWithClearMessage()
    {
        using var directory = new TempDirectory("lait-lock");
        await using var store = new FasterSegmentStore(CrashStates.Options(directory.Path));
        var (exitCode, stdout) = await RunChildToEndAsync("open", directory.Path);
        Assert.Equal(3, exitCode);
        Assert.StartsWith("REFUSED", stdout);
        Assert.Contains("in use by another process", stdout);
    }

    private static async Task<int> VerifyAsync(FasterSegmentStore store, Dictionary<long, SegmentId> acked)
    {
        int verified = 0;
        foreach (var batch in acked.Chunk(256))
        {
            var result = await store.GetManyAsync(batch.Select(a => a.Value).ToArray());
            if (result.Missing.Count > 0)
                Assert.Fail($"{result.Missing.Count} acknowledged ids lost after kill -9, e.g. {result.Missing[0]}");
            for (int i = 0; i < batch.Length; i++)
            {
                var expected = CrashStates.State(batch[i].Key);
                var actual = result.States[i]!;
                Assert.Equal(batch[i].Value, expected.Key.ComputeId());
                Assert.True(MemoryMarshal.AsBytes(expected.Values.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.Values.AsSpan())),
                    $"state for seed {batch[i].Key} differs after restart");
                Assert.Equal(expected.Key.TokenIds.ToArray(), actual.Key.TokenIds.ToArray());
                verified++;
            }
        }
        return verified;
    }

    private static async Task<List<(long Seed, SegmentId Id)>> RunChildAndKillAsync(string directory, long firstSeed, int killAfterMs,
        bool afterFirstAck)
    {
        var acks = new List<(long, SegmentId)>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new System.Text.StringBuilder();
        using var process = StartChild("ingest", directory, firstSeed.ToString(), Workers.ToString());
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            if (e.Data == "READY")
            {
                ready.TrySetResult();
                return;
            }
            // A line cut by the kill fails to parse and is ignored: that ack never reached us.
            var parts = e.Data.Split(' ');
            if (parts.Length == 3 && parts[0] == "ACK" && long.TryParse(parts[1], out var seed) && SegmentId.TryParse(parts[2], out var id))
            {
                lock (acks)
                    acks.Add((seed, id));
                firstAck.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (errors)
                    errors.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (!ready.Task.IsCompleted)
        {
            if (!process.HasExited)
                process.Kill();
            throw new InvalidOperationException($"crash host did not start: {errors}");
        }
        if (afterFirstAck)
            await Task.WhenAny(firstAck.Task, Task.Delay(TimeSpan.FromSeconds(10)));
        await Task.Delay(killAfterMs);
        process.Kill(); // SIGKILL on Linux
        await process.WaitForExitAsync();
        lock (acks)
            return [.. acks];
    }

    private static async Task<(int ExitCode, string Stdout)> RunChildToEndAsync(params string[] args)
    {
        using var process = StartChild(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        await stderr;
        return (process.ExitCode, (await stdout).Trim());
    }

    private static Process StartChild(params string[] args)
    {
        Assert.True(File.Exists(RepoPaths.CrashHostDll), $"crash host not built at {RepoPaths.CrashHostDll}");
        var info = new ProcessStartInfo(RepoPaths.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(RepoPaths.CrashHostDll);
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the crash host");
    }
}
