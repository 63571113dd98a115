using System.Diagnostics;
using Lait.Client;
using Lait.Protos.V1;
using Lait.Testing;

// Service benchmark, one run, one server, two models with the same weights:
//  (a) one claim against 100 stored evidence sentences: Combine with the LAIT model against the full
//      cross-encoder (P = 0, continuous positions) over the same pairs;
//  (b) streaming ingestion through gRPC with durable acknowledgements (sentences per second).
// The weights are random 6 x 384 ones with P = 4, or with --model DIR a real model folder as it is
// (e.g. models/lait-nli-minilm) and the same folder re-configured as P = 0.
// Usage: dotnet run -c Release --project bench/Lait.Bench.Service [-- --rounds 20 --ingest 2000 --model DIR]
int rounds = ArgValue("--rounds", 20);
int ingestCount = ArgValue("--ingest", 2000);
// --checkpoint: the store acknowledges from memory (durable from the next checkpoint) instead of group commit.
bool checkpointMode = args.Contains("--checkpoint");
const int evidenceCount = 100;

using var dir = new TempDirectory();
string? realModel = ArgString("--model");
string p4, p0, what;
int towerLayers = 4;
if (realModel is null)
{
    var shape = new TinyModelWriter.Options(Layers: 6, Hidden: 384, Heads: 12, Intermediate: 1536, MaxPositions: 128, Seed: 11);
    p4 = TinyModelWriter.Write(dir.Sub("p4"), shape with { TowerLayers = 4, PositionMode = "per_segment" });
    p0 = TinyModelWriter.Write(dir.Sub("p0"), shape with { TowerLayers = 0, PositionMode = "continuous" });
    what = "model 6 layers x 384 (random weights)";
}
else
{
    p4 = Path.GetFullPath(realModel);
    p0 = CrossEncoderCopy(p4, dir.Sub("p0"));
    towerLayers = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(p4, "config.json")))!["lait"]!["tower_layers"]!.GetValue<int>();
    what = $"model {p4} (P = {towerLayers}) and the same weights at P = 0";
}
await using var server = await ServerProcess.StartAsync(["--model-dir", $"p4={p4}", "--model-dir", $"p0={p0}", "--store-dir", dir.Sub("store"),
    "--durability", checkpointMode ? "checkpoint" : "durable", .. ServerArgs()]);
Console.WriteLine($"server on 127.0.0.1:{server.Port}; {what}, {Environment.ProcessorCount} cores");

var random = new Random(5);
string Sentence(int words) => string.Join(' ', Enumerable.Range(0, words).Select(_ => TinyModelWriter.Vocabulary[random.Next(TinyModelWriter.Vocabulary.Count)])) + ".";

// (a) claim vs 100 stored evidence sentences.
string claim = Sentence(14);
string[] evidence = Enumerable.Range(0, evidenceCount).Select(_ => Sentence(23)).ToArray();
var results = new Dictionary<string, List<double>>();
foreach (var model in new[] { "p4", "p0" })
{
    var ids = await IngestAsync(server.Client, model, [(claim, Role.First), .. evidence.Select(e => (e, Role.Other))]);
    results[model] = [];
    var request = new CombineRequest { Model = model, Task = TaskType.VerifyClaim };
    request.Segments.AddRange(ids.Select(id => new SegmentRef { SegmentId = id }));
    for (int i = 0; i < 3; i++) await server.Client.CombineAsync(request); // warm-up
    _requests[model] = request;
}
for (int r = 0; r < rounds; r++)
{
    foreach (var model in new[] { "p4", "p0" })
    {
        var sw = Stopwatch.StartNew();
        await server.Client.CombineAsync(_requests[model]);
        results[model].Add(sw.Elapsed.TotalMilliseconds);
    }
}
double p4Median = Median(results["p4"]), p0Median = Median(results["p0"]);
Console.WriteLine();
Console.WriteLine($"## Combine: 1 claim x {evidenceCount} stored evidence (TASK_TYPE_VERIFY_CLAIM), {rounds} rounds, alternating");
Console.WriteLine("| model | median ms | p90 ms | pairs/s |");
Console.WriteLine("|---|---|---|---|");
foreach (var model in new[] { "p4", "p0" })
{
    Console.WriteLine($"| {(model == "p4" ? $"LAIT P={towerLayers} of 6" : "cross-encoder P=0")} | {Median(results[model]):F1} | {Percentile(results[model], 0.9):F1} | {evidenceCount / (Median(results[model]) / 1000):F0} |");
}
Console.WriteLine($"speed-up P={towerLayers} over P=0: {p0Median / p4Median:F2}x");

// (b) streaming ingestion, durable acknowledgements.
string[] sentences = Enumerable.Range(0, ingestCount).Select(_ => Sentence(23)).ToArray();
var ingest = Stopwatch.StartNew();
var acks = await IngestAsync(server.Client, "p4", sentences.Select(s => (s, Role.Other)));
ingest.Stop();
Console.WriteLine();
Console.WriteLine($"## Ingestion: {ingestCount} sentences of ~25 tokens, one EncodeSegment stream, {(checkpointMode ? "checkpoint" : "durable")} acks");
Console.WriteLine($"{ingestCount / ingest.Elapsed.TotalSeconds:F0} sentences/s ({ingest.Elapsed.TotalSeconds:F1} s, {acks.Count} acknowledged)");
return 0;

static async Task<List<string>> IngestAsync(LaitClient client, string model, IEnumerable<(string Text, Role Role)> segments)
{
    using var call = client.EncodeSegment(LaitChannel.WithTimeout(TimeSpan.FromMinutes(10)));
    var reader = Task.Run(async () =>
    {
        var ids = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            var ack = call.ResponseStream.Current;
            if (ack.Error is not null) throw new InvalidOperationException($"segment {ack.Sequence} failed: {ack.Error.Message}");
            ids.Add(ack.SegmentId);
        }
        return ids;
    });
    foreach (var (text, role) in segments)
    {
        await call.RequestStream.WriteAsync(new EncodeSegmentRequest
        {
            Model = model,
            Segment = new SegmentInput { Text = text, Role = role },
            // Unspecified: the server's mode decides (durable = group commit before the ack).
            Durability = Durability.Unspecified,
        });
    }
    await call.RequestStream.CompleteAsync();
    return await reader;
}

static double Median(List<double> values) => Percentile(values, 0.5);

static double Percentile(List<double> values, double q)
{
    var sorted = values.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}

// Anything after "--server" goes to the server (e.g. --server --max-batch-tokens 2048).
string[] ServerArgs()
{
    int i = Array.IndexOf(args, "--server");
    return i < 0 ? [] : args[(i + 1)..];
}

string? ArgString(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// The same weights and vocabulary as a stock cross-encoder: P = 0 with continuous positions.
static string CrossEncoderCopy(string modelDir, string target)
{
    Directory.CreateDirectory(target);
    foreach (string file in Directory.GetFiles(modelDir))
    {
        File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
    }
    var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(target, "config.json")))!;
    config["lait"] = new System.Text.Json.Nodes.JsonObject { ["tower_layers"] = 0, ["position_mode"] = "continuous" };
    File.WriteAllText(Path.Combine(target, "config.json"), config.ToJsonString());
    return target;
}

int ArgValue(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

partial class Program
{
    private static readonly Dictionary<string, CombineRequest> _requests = new();
}
