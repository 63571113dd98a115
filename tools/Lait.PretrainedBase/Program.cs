using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lait.PretrainedBase;

/// <summary>
/// Restored-package pretrained encoder -> Hugging Face BERT folder (config.json, model.safetensors,
/// vocab.txt, plus the original model.onnx under source/), then a parity check of our engine on the
/// folder against ONNX Runtime on the original file. Exit code 0 only when the difference is within
/// the tolerance. The folder is a build artefact (never committed); training and the tests use it.
/// Usage: Lait.PretrainedBase [--package minilm|arcticxs] [--out DIR] [--tolerance 1e-4] [--no-check]
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        string key = Arg(args, "--package") ?? "minilm";
        PretrainedPackage? package = Array.Find(PretrainedPackage.Known, p => p.Key == key);
        if (package is null)
        {
            Console.Error.WriteLine($"unknown --package '{key}'; known: {string.Join(", ", PretrainedPackage.Known.Select(p => p.Key))}");
            return 2;
        }

        string outDir = Path.GetFullPath(Arg(args, "--out") ?? Path.Combine("artifacts", "pretrained", package.HuggingFaceName.Split('/')[1]));
        double tolerance = double.Parse(Arg(args, "--tolerance") ?? "1e-4", CultureInfo.InvariantCulture);
        Directory.CreateDirectory(Path.Combine(outDir, "source"));

        byte[] onnxBytes = package.ReadResource("model.onnx");
        string onnxPath = Path.Combine(outDir, "source", "model.onnx");
        File.WriteAllBytes(onnxPath, onnxBytes);
        File.WriteAllBytes(Path.Combine(outDir, "vocab.txt"), package.ReadResource("vocab.txt"));

        var tensors = BertOnnxConverter.ToHuggingFace(OnnxModelReader.Read(onnxBytes));
        SafetensorsWriter.Write(Path.Combine(outDir, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(outDir, "config.json"), Config(package, tensors).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"{package.HuggingFaceName} ({package.Assembly}, {package.Licence}): {tensors.Count} tensors -> {outDir}");

        if (args.Contains("--no-check"))
        {
            return 0;
        }

        double diff = ParityCheck.MaxDifference(onnxPath, outDir, Console.Out);
        bool ok = diff <= tolerance;
        Console.WriteLine($"parity {(ok ? "OK" : "FAILED")}: max |engine - ONNX Runtime| = {diff:E2} (tolerance {tolerance:E0})");
        return ok ? 0 : 1;
    }

    /// <summary>The BERT config the export implies: sizes from the tensors, heads and eps from the package table.</summary>
    private static JsonObject Config(PretrainedPackage package, List<(string Name, int[] Shape, float[] Values)> tensors)
    {
        int[] Shape(string name) => tensors.First(t => t.Name == name).Shape;
        int layers = tensors.Count(t => t.Name.EndsWith(".attention.self.query.weight", StringComparison.Ordinal));
        return new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["model_type"] = "bert",
            ["_name_or_path"] = package.HuggingFaceName,
            ["vocab_size"] = Shape("embeddings.word_embeddings.weight")[0],
            ["hidden_size"] = Shape("embeddings.word_embeddings.weight")[1],
            ["num_hidden_layers"] = layers,
            ["num_attention_heads"] = package.Heads,
            ["intermediate_size"] = Shape("encoder.layer.0.intermediate.dense.weight")[0],
            ["hidden_act"] = "gelu",
            ["hidden_dropout_prob"] = 0.1,
            ["attention_probs_dropout_prob"] = 0.1,
            ["max_position_embeddings"] = Shape("embeddings.position_embeddings.weight")[0],
            ["type_vocab_size"] = Shape("embeddings.token_type_embeddings.weight")[0],
            ["initializer_range"] = 0.02,
            ["layer_norm_eps"] = package.LayerNormEps,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
        };
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
