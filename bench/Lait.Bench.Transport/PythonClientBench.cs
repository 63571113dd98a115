using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Lait.Bench.Transport;

/// <summary>The Python side: bench/Lait.Bench.Transport/python_client.py with Debian's grpcio.</summary>
public static class PythonClientBench
{
    private const string Python = "/usr/bin/python3";

    public static async Task<BenchResult?> RunAsync(string address, BenchSettings settings)
    {
        if (!File.Exists(Python))
        {
            Console.Error.WriteLine($"{Python} missing: Python column left empty (run scripts/install-test-deps.sh)");
            return null;
        }

        var info = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bench", "Lait.Bench.Transport", "python_client.py"));
        foreach (string arg in new[]
        {
            "--target", address, "--unary", $"{settings.UnaryCalls}", "--warmup", $"{settings.Warmup}",
            "--small-bytes", $"{settings.SmallBytes}",
        })
        {
            info.ArgumentList.Add(arg);
        }

        foreach ((int size, int count) in settings.Streams)
        {
            info.ArgumentList.Add("--stream");
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"{size}:{count}"));
            info.ArgumentList.Add("--bidi");
            info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"{size}:{count}"));
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start python");
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            Console.Error.WriteLine($"python client failed ({process.ExitCode}):\n{await stderr}");
            return null;
        }

        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement root = json.RootElement;
        double[] unary = root.GetProperty("unary_us").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return new BenchResult(unary, Timings(root.GetProperty("stream")), Timings(root.GetProperty("bidi")));
    }

    private static List<StreamTiming> Timings(JsonElement array) =>
        array.EnumerateArray()
            .Select(e => new StreamTiming(e.GetProperty("size").GetInt32(), e.GetProperty("count").GetInt32(), e.GetProperty("seconds").GetDouble()))
            .ToList();
}
