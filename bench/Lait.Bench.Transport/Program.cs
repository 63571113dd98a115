using System.Globalization;
using Lait.Bench.Transport;

// Transport benchmark: starts tests/Lait.Transport.EchoServer on 127.0.0.1, then measures, against
// that one server, unary latency and server-streaming / bidi throughput from the C# client
// (clients/csharp/Lait.Client) and from the Python client (Debian's grpcio), with the same message
// sizes and bounded counts, and prints a markdown table. Usage:
//   dotnet bench/Lait.Bench.Transport/bin/Release/net10.0/Lait.Bench.Transport.dll [--unary N] [--warmup N] [--quick]
var settings = BenchSettings.Parse(args);
string dll = RepoPaths.EchoServerDll();
if (!File.Exists(dll))
{
    Console.Error.WriteLine($"EchoServer not built at {dll}: dotnet build bench/Lait.Bench.Transport -c Release");
    return 2;
}

using EchoServerProcess server = await EchoServerProcess.StartAsync(dll);
Console.Error.WriteLine($"server: {server.Address} ({dll})");

Console.Error.WriteLine("C# client...");
BenchResult csharp = await CSharpClientBench.RunAsync(server.Address, settings);
Console.Error.WriteLine("Python client...");
BenchResult? python = await PythonClientBench.RunAsync(server.Address, settings);

Console.WriteLine(Report.Markdown(settings, csharp, python));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, server and clients on the same machine (127.0.0.1)."));
return 0;
