using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lait.Testing;

/// <summary>
/// Writes a tiny BERT checkpoint in the Hugging Face layout (config.json, model.safetensors,
/// vocab.txt) with seeded random weights. The numbers mean nothing; the files exercise the real
/// loader, tokenizer and encoder end to end, fast enough for every test run.
/// </summary>
public static class TinyModelWriter
{
    private static readonly string[] Words =
    [
        "the", "a", "an", "is", "are", "was", "were", "not", "no", "yes", "and", "or", "of", "in", "on", "at", "to",
        "sky", "blue", "grass", "green", "water", "wet", "fire", "hot", "cold", "ice", "sun", "moon", "star", "earth",
        "paris", "france", "capital", "city", "river", "mountain", "tall", "small", "big", "old", "new", "cat", "dog",
        "animal", "mammal", "bird", "fly", "can", "cannot", "does", "did", "has", "have", "born", "year", "people",
        "live", "lives", "died", "red", "color", "what", "where", "who", "when", "which", "how", "many", "it", "he",
        "she", "they", "this", "that", "claim", "evidence", "true", "false", "rain", "falls", "from", "clouds",
        "##s", "##ed", "##ing", "##er", "##ly", ".", ",", "!", "?", "'", "\"", "-", "(", ")", "0", "1", "2", "3", "4",
        "5", "6", "7", "8", "9", "##0", "##1", "##2", "##3", "##4", "##5", "##6", "##7", "##8", "##9",
    ];

    /// <summary>The words of the tiny vocabulary (no specials, no ## pieces): text made of them has no [UNK].</summary>
    public static IReadOnlyList<string> Vocabulary { get; } = Words.Where(w => w.All(char.IsAsciiLetterLower)).ToArray();

    public sealed record Options(int Layers = 2, int Hidden = 32, int Heads = 2, int Intermediate = 64, int MaxPositions = 64,
        int TowerLayers = 1, string PositionMode = "per_segment", bool QuestionAnswering = false, int Seed = 7)
    {
        public string[] Labels { get; init; } = ["entailment", "neutral", "contradiction"];
    }

    public static string Write(string directory, Options options)
    {
        Directory.CreateDirectory(directory);
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Words];
        File.WriteAllLines(Path.Combine(directory, "vocab.txt"), vocab);

        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < options.Labels.Length; i++)
        {
            id2label[i.ToString()] = options.Labels[i];
            label2id[options.Labels[i]] = i;
        }
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(options.QuestionAnswering ? "BertForQuestionAnswering" : "BertForSequenceClassification"),
            ["model_type"] = "bert",
            ["vocab_size"] = vocab.Length,
            ["hidden_size"] = options.Hidden,
            ["num_hidden_layers"] = options.Layers,
            ["num_attention_heads"] = options.Heads,
            ["intermediate_size"] = options.Intermediate,
            ["hidden_act"] = "gelu",
            ["max_position_embeddings"] = options.MaxPositions,
            ["type_vocab_size"] = 2,
            ["layer_norm_eps"] = 1e-12,
            ["pad_token_id"] = 0,
            ["id2label"] = id2label,
            ["label2id"] = label2id,
            ["lait"] = new JsonObject { ["tower_layers"] = options.TowerLayers, ["position_mode"] = options.PositionMode },
        };
        File.WriteAllText(Path.Combine(directory, "config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var random = new Random(options.Seed);
        var tensors = new List<(string Name, int[] Shape, float[] Values)>();
        void Add(string name, float scale, params int[] shape)
        {
            int n = 1;
            foreach (var d in shape) n *= d;
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
            tensors.Add((name, shape, values));
        }
        void Norm(string name, int size)
        {
            var gamma = new float[size];
            var beta = new float[size];
            for (int i = 0; i < size; i++)
            {
                gamma[i] = 1f + (float)((random.NextDouble() - 0.5) * 0.2);
                beta[i] = (float)((random.NextDouble() - 0.5) * 0.2);
            }
            tensors.Add((name + ".weight", [size], gamma));
            tensors.Add((name + ".bias", [size], beta));
        }

        int h = options.Hidden, im = options.Intermediate;
        Add("bert.embeddings.word_embeddings.weight", 0.5f, vocab.Length, h);
        Add("bert.embeddings.position_embeddings.weight", 0.5f, options.MaxPositions, h);
        Add("bert.embeddings.token_type_embeddings.weight", 0.5f, 2, h);
        Norm("bert.embeddings.LayerNorm", h);
        for (int l = 0; l < options.Layers; l++)
        {
            string p = $"bert.encoder.layer.{l}.";
            foreach (var m in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
            {
                Add(p + m + ".weight", 0.3f, h, h);
                Add(p + m + ".bias", 0.1f, h);
            }
            Norm(p + "attention.output.LayerNorm", h);
            Add(p + "intermediate.dense.weight", 0.3f, im, h);
            Add(p + "intermediate.dense.bias", 0.1f, im);
            Add(p + "output.dense.weight", 0.3f, h, im);
            Add(p + "output.dense.bias", 0.1f, h);
            Norm(p + "output.LayerNorm", h);
        }
        if (options.QuestionAnswering)
        {
            Add("qa_outputs.weight", 0.5f, 2, h);
            Add("qa_outputs.bias", 0.1f, 2);
        }
        else
        {
            Add("bert.pooler.dense.weight", 0.3f, h, h);
            Add("bert.pooler.dense.bias", 0.1f, h);
            Add("classifier.weight", 0.5f, options.Labels.Length, h);
            Add("classifier.bias", 0.1f, options.Labels.Length);
        }
        WriteSafetensors(Path.Combine(directory, "model.safetensors"), tensors);
        return directory;
    }

    private static void WriteSafetensors(string path, List<(string Name, int[] Shape, float[] Values)> tensors)
    {
        var header = new JsonObject();
        long offset = 0;
        foreach (var (name, shape, values) in tensors)
        {
            long bytes = values.Length * 4L;
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        byte[] headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        foreach (var (_, _, values) in tensors)
        {
            var raw = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
            file.Write(raw);
        }
    }
}
