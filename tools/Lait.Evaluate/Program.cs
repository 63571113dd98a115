using System.Globalization;
using System.Text.Json;
using Lait.Engine.Config;
using Lait.Engine.Heads;
using Lait.Engine.Model;
using Lait.Engine.Tokenization;

namespace Lait.Evaluate;

/// <summary>
/// Evaluates a LAIT classification model with the C# engine on the examples written by
/// training/export_eval_set.py and compares with PyTorch on the same examples: tokenization
/// (our tokenizer on the text against the token ids PyTorch saw), logits, predictions and
/// accuracy per source. Exit code 0 only when every token id and prediction agrees and no
/// logit differs by more than the tolerance.
/// Usage: Lait.Evaluate --model DIR --input FILE.jsonl [--threads N] [--batch N] [--tolerance 1e-3]
/// </summary>
public static class Program
{
    private static readonly string[] InDomain = ["sick", "mnli", "snli", "mpe", "fever", "healthver"];

    public static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        string? modelDir = Arg(args, "--model");
        string? input = Arg(args, "--input");
        if (modelDir is null || input is null)
        {
            Console.Error.WriteLine("usage: Lait.Evaluate --model DIR --input FILE.jsonl [--threads N] [--batch N] [--tolerance T]");
            return 2;
        }

        int threads = int.Parse(Arg(args, "--threads") ?? "2", CultureInfo.InvariantCulture);
        int batch = int.Parse(Arg(args, "--batch") ?? "32", CultureInfo.InvariantCulture);
        double tolerance = double.Parse(Arg(args, "--tolerance") ?? "1e-3", CultureInfo.InvariantCulture);

        using LaitModel model = LaitModel.Load(modelDir, new EngineOptions { Threads = threads });
        ITokenizer tokenizer = model.Tokenizer ?? throw new InvalidOperationException($"{modelDir} has no tokenizer files.");
        List<Example> examples = File.ReadLines(input).Where(l => l.Length > 0).Select(Example.Parse).ToList();
        Console.WriteLine($"model {modelDir}: {model.Config.NumLayers} layers, P={model.TowerLayers}, {model.PositionMode}, GEMM {model.GemmBackend}; {examples.Count} examples from {input}");

        var tally = new Dictionary<string, Tally>();
        int tokenMismatches = 0, predictionMismatches = 0;
        double maxLogitDiff = 0;
        for (int start = 0; start < examples.Count; start += batch)
        {
            List<Example> chunk = examples.GetRange(start, Math.Min(batch, examples.Count - start));
            var sequences = new IReadOnlyList<Segment>[chunk.Count];
            for (int i = 0; i < chunk.Count; i++)
            {
                Example e = chunk[i];
                int[][] content = new int[e.Segments.Length][];
                for (int s = 0; s < e.Segments.Length; s++)
                {
                    TokenSpan[] tokens = tokenizer.Encode(e.Segments[s]);
                    content[s] = tokens.Take(e.Caps[s]).Select(t => t.Id).ToArray();
                    if (!content[s].AsSpan().SequenceEqual(e.TorchTokenIds[s]))
                    {
                        tokenMismatches++;
                        if (tokenMismatches <= 5)
                        {
                            Console.WriteLine($"token mismatch in {e.Id} segment {s}: ours [{string.Join(' ', content[s])}] torch [{string.Join(' ', e.TorchTokenIds[s])}]");
                        }
                    }
                }

                sequences[i] = Frame(content, tokenizer.SpecialTokens, model);
            }

            JointOutput[] outputs = model.Encode(sequences);
            for (int i = 0; i < chunk.Count; i++)
            {
                Example e = chunk[i];
                ClassificationResult result = model.Classify(outputs[i]);
                for (int k = 0; k < result.Logits.Length; k++)
                {
                    maxLogitDiff = Math.Max(maxLogitDiff, Math.Abs(result.Logits[k] - e.TorchLogits[k]));
                }

                int ours = Predict(result.Logits, e.Scoring, model.Labels);
                int torch = Predict(e.TorchLogits, e.Scoring, model.Labels);
                if (ours != torch)
                {
                    predictionMismatches++;
                }

                Tally t = tally.TryGetValue(e.Source, out Tally? found) ? found : tally[e.Source] = new Tally();
                t.Count++;
                t.OursCorrect += ours == e.Label ? 1 : 0;
                t.TorchCorrect += torch == e.Label ? 1 : 0;
            }
        }

        Console.WriteLine();
        Console.WriteLine("| source | examples | C# engine acc | PyTorch acc |");
        Console.WriteLine("|---|---|---|---|");
        foreach ((string source, Tally t) in tally.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"| {source} | {t.Count} | {100.0 * t.OursCorrect / t.Count:F1} | {100.0 * t.TorchCorrect / t.Count:F1} |");
        }

        Tally[] inDomain = InDomain.Where(tally.ContainsKey).Select(s => tally[s]).ToArray();
        if (inDomain.Length > 0)
        {
            Console.WriteLine($"| in-domain mean | {inDomain.Sum(t => t.Count)} | {inDomain.Average(t => 100.0 * t.OursCorrect / t.Count):F1} | {inDomain.Average(t => 100.0 * t.TorchCorrect / t.Count):F1} |");
        }

        Tally[] outside = tally.Where(kv => !InDomain.Contains(kv.Key)).Select(kv => kv.Value).ToArray();
        if (outside.Length > 0)
        {
            Console.WriteLine($"| outside mean | {outside.Sum(t => t.Count)} | {outside.Average(t => 100.0 * t.OursCorrect / t.Count):F1} | {outside.Average(t => 100.0 * t.TorchCorrect / t.Count):F1} |");
        }

        Console.WriteLine();
        Console.WriteLine($"token id mismatches: {tokenMismatches}; prediction mismatches: {predictionMismatches} of {examples.Count}; max |logit difference|: {maxLogitDiff:G3} (tolerance {tolerance:G3})");
        return tokenMismatches == 0 && predictionMismatches == 0 && maxLogitDiff <= tolerance ? 0 : 1;
    }

    /// <summary>Segment 0 = [CLS] content [SEP] at position 0; others = content [SEP], at the start the model's position mode gives.</summary>
    private static Segment[] Frame(int[][] content, SpecialTokenIds special, LaitModel model)
    {
        var segments = new Segment[content.Length];
        int position = 0;
        for (int s = 0; s < content.Length; s++)
        {
            int[] ids = s == 0 ? [special.Cls, .. content[s], special.Sep] : [.. content[s], special.Sep];
            segments[s] = s == 0 ? Segment.First(ids)
                : Segment.Other(ids, model.PositionMode == PositionMode.Continuous ? position : model.PositionStartFor(SegmentRole.Other));
            position += ids.Length;
        }

        return segments;
    }

    /// <summary>
    /// The prediction as the source is scored (training/lait/data.py): argmax ("3way", "yesno"); argmax
    /// without the neutral class ("ent_vs_contra": gold only entailment / contradiction); or entailment
    /// when its probability is above one half, else -1, the not-entailment gold ("ent_vs_not").
    /// </summary>
    private static int Predict(IReadOnlyList<float> logits, string scoring, IReadOnlyList<string> labels)
    {
        if (scoring == "ent_vs_not")
        {
            int entailment = labels.ToList().IndexOf("entailment");
            double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
            return Math.Exp(logits[entailment] - max) / sum > 0.5 ? entailment : -1;
        }

        int neutral = scoring == "ent_vs_contra" ? labels.ToList().IndexOf("neutral") : -1;
        int best = -1;
        for (int k = 0; k < logits.Count; k++)
        {
            if (k != neutral && (best < 0 || logits[k] > logits[best]))
            {
                best = k;
            }
        }

        return best;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private sealed class Tally
    {
        public int Count;
        public int OursCorrect;
        public int TorchCorrect;
    }

    private sealed record Example(string Id, string Source, int Label, string Scoring, string[] Segments, int[] Caps, int[][] TorchTokenIds, float[] TorchLogits)
    {
        public static Example Parse(string line)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement r = doc.RootElement;
            return new Example(
                r.GetProperty("id").GetString()!,
                r.GetProperty("source").GetString()!,
                r.GetProperty("label").GetInt32(),
                r.GetProperty("scoring").GetString()!,
                r.GetProperty("segments").EnumerateArray().Select(s => s.GetString()!).ToArray(),
                r.GetProperty("caps").EnumerateArray().Select(c => c.GetInt32()).ToArray(),
                r.GetProperty("token_ids").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetInt32()).ToArray()).ToArray(),
                r.GetProperty("torch_logits").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        }
    }
}
