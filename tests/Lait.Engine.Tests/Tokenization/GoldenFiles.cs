using System.Text.Json;
using System.Text.Json.Serialization;
using Lait.Engine.Tests.Checkpoints;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>Goldens written by tests/golden/tokenizers/make_goldens.py with the pure-Python reference tokenizer
/// (training/lait/tokenization.py). Offsets there are UTF-16 indices, as the engine reports them.</summary>
public static class GoldenFiles
{
    private static readonly JsonSerializerOptions s_json = new() { PropertyNameCaseInsensitive = true };
    private static readonly Lazy<GoldenDocument> s_wordPiece = new(() => Load<GoldenDocument>("wordpiece-minilm.json"));
    private static readonly Lazy<GoldenDocument> s_bpe = new(() => Load<GoldenDocument>("bpe-tiny.json"));
    private static readonly Lazy<CorpusDocument> s_corpus = new(() => Load<CorpusDocument>("wordpiece-corpus.json"));

    public static string Directory => RepoPaths.Golden("tokenizers");

    public static string BpeTinyDirectory => Path.Combine(Directory, "bpe-tiny");

    public static GoldenDocument WordPiece => s_wordPiece.Value;

    public static GoldenDocument Bpe => s_bpe.Value;

    public static CorpusDocument Corpus => s_corpus.Value;

    private static T Load<T>(string name) =>
        JsonSerializer.Deserialize<T>(File.ReadAllBytes(Path.Combine(Directory, name)), s_json)
        ?? throw new InvalidOperationException($"{name} is empty.");
}

public sealed class GoldenDocument
{
    public List<GoldenSet> Sets { get; set; } = new();

    public GoldenSet Set(string name) => Sets.Single(s => s.Name == name);
}

public sealed class GoldenSet
{
    public string Name { get; set; } = "";

    public Dictionary<string, JsonElement> Options { get; set; } = new();

    public List<GoldenCase> Cases { get; set; } = new();

    public bool Bool(string name, bool fallback) =>
        Options.TryGetValue(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public bool? NullableBool(string name) =>
        Options.TryGetValue(name, out JsonElement v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public int Int(string name, int fallback) =>
        Options.TryGetValue(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
}

public sealed class GoldenCase
{
    public string Text { get; set; } = "";

    public int[] Ids { get; set; } = [];

    public int[][] Offsets { get; set; } = [];

    public string[] Tokens { get; set; } = [];
}

public sealed class CorpusDocument
{
    public List<CorpusCase> Cases { get; set; } = new();
}

public sealed class CorpusCase
{
    public string File { get; set; } = "";

    public int Line { get; set; }

    public string Sha256 { get; set; } = "";

    public int[] Ids { get; set; } = [];

    public int[][] Offsets { get; set; } = [];
}
