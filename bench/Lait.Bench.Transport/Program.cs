using System.Globalization;
using Lait.Bench.Transport;

// Transport benchmark: starts tests/Lait.Interop.EchoServer (Grpc.AspNetCore) on 127.0.0.1, then measures, against
// that one server, unary latency and server-streaming / bidi throughput from the C# client
// (clients/csharp/Lait.Client) and from the Python client (Debian's grpcio), with the same message
// sizes and bounded counts, and prints a markdown table. Usage:
//   dotnet bench/Lait.Bench.Transport/bin/Release/net10.0/Lait.Bench.Transport.dll [--unary N] [--warmup N] [--rounds N] [--quick]
var settings = BenchSettings.Parse(args);
string dll = RepoPaths.EchoServerDll();
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"EchoServer not built at {dll}: dotnet build bench/Lait.Bench.Transport -c Release");
    return 2;
}

using EchoServerProcess server = await EchoServerProcess.StartAsync(dll);
Console.Error.WriteLine($"server: {server.Address} ({dll})");

// The clients take turns, round after round, so that a load change on a shared machine hits both;
// the report takes per-measure medians over the rounds.
var csharpRounds = new List<BenchResult>();
var pythonRounds = new List<BenchResult>();
var rawUnary = new List<double>();
for (int round = 1; round <= settings.Rounds; round++)
{
    Console.Error.WriteLine($"round {round}/{settings.Rounds}: C# client...");
    csharpRounds.Add(await CSharpClientBench.RunAsync(server.Address, settings));
    Console.Error.WriteLine($"round {round}/{settings.Rounds}: raw HttpClient unary...");
    rawUnary.AddRange(await RawHttpClientBench.UnaryAsync(server.Address, settings));
    Console.Error.WriteLine($"round {round}/{settings.Rounds}: Python client...");
    if (await PythonClientBench.RunAsync(server.Address, settings) is BenchResult p)
    {
        pythonRounds.Add(p);
    }
}

BenchResult csharp = BenchResult.Median(csharpRounds);
BenchResult? python = pythonRounds.Count == settings.Rounds ? BenchResult.Median(pythonRounds) : null;

rawUnary.Sort();
Console.WriteLine(Report.Markdown(settings, csharp, python, rawUnary.ToArray()));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, server and clients on the same machine (127.0.0.1)."));
return 0;
