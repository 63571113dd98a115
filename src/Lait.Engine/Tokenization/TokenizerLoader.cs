using System.Text.Json;

namespace Lait.Engine.Tokenization;

/// <summary>Builds a tokenizer from a Hugging Face model folder. Order: tokenizer.json (its model type decides);
/// else vocab.txt (WordPiece, settings from tokenizer_config.json); else vocab.json + merges.txt (byte-level BPE).
/// When a folder holds both vocab.txt and vocab.json, config.json's model_type decides.</summary>
public static class TokenizerLoader
{
    private static readonly HashSet<string> s_bpeModelTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "roberta", "xlm-roberta", "gpt2", "bart", "longformer", "camembert", "deberta",
    };

    public static ITokenizer FromDirectory(string modelDir)
    {
        ArgumentNullException.ThrowIfNull(modelDir);
        if (!Directory.Exists(modelDir))
        {
            throw new TokenizerException($"Tokenizer folder '{modelDir}' does not exist.");
        }

        string tokenizerJson = Path.Combine(modelDir, "tokenizer.json");
        if (File.Exists(tokenizerJson))
        {
            return FromTokenizerJson(tokenizerJson);
        }

        string vocabTxt = Path.Combine(modelDir, "vocab.txt");
        string vocabJson = Path.Combine(modelDir, "vocab.json");
        string mergesTxt = Path.Combine(modelDir, "merges.txt");
        bool hasWordPiece = File.Exists(vocabTxt);
        bool hasBpe = File.Exists(vocabJson) && File.Exists(mergesTxt);
        if (hasWordPiece && hasBpe)
        {
            string? modelType = ReadModelType(modelDir);
            hasWordPiece = modelType is null || !s_bpeModelTypes.Contains(modelType);
        }

        if (hasWordPiece)
        {
            (BertNormalizerOptions normalizer, WordPieceOptions options) = ReadBertSettings(modelDir);
            return FromVocabTxt(vocabTxt, normalizer, options);
        }

        if (hasBpe)
        {
            return FromVocabAndMerges(vocabJson, mergesTxt, new ByteLevelBpeOptions());
        }

        throw new TokenizerException($"No tokenizer in '{modelDir}': expected tokenizer.json, vocab.txt, or vocab.json with merges.txt.");
    }

    /// <summary>BERT WordPiece from a vocab.txt (one token per line; the line number is the id).</summary>
    public static WordPieceTokenizer FromVocabTxt(string path, BertNormalizerOptions? normalizer = null, WordPieceOptions? options = null)
    {
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        int id = 0;
        foreach (string line in ReadLines(path))
        {
            tokens[line.TrimEnd('\r', '\n')] = id++;
        }

        return new WordPieceTokenizer(new Vocabulary(tokens, path), normalizer ?? new BertNormalizerOptions(), options ?? new WordPieceOptions());
    }

    /// <summary>Byte-level BPE from vocab.json (token → id) and merges.txt ("left right" per line, best first).</summary>
    public static ByteLevelBpeTokenizer FromVocabAndMerges(string vocabJsonPath, string mergesPath, ByteLevelBpeOptions? options = null)
    {
        Dictionary<string, int> tokens;
        using (JsonDocument doc = ParseJson(vocabJsonPath))
        {
            tokens = ReadVocabObject(doc.RootElement, vocabJsonPath);
        }

        var merges = new List<(string, string)>();
        int lineNumber = 0;
        foreach (string raw in ReadLines(mergesPath))
        {
            lineNumber++;
            string line = raw.TrimEnd('\r', '\n');
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            merges.Add(ParseMerge(line, $"{mergesPath} line {lineNumber}"));
        }

        return new ByteLevelBpeTokenizer(new Vocabulary(tokens, vocabJsonPath), merges, options ?? new ByteLevelBpeOptions());
    }

    /// <summary>A tokenizer.json with a WordPiece model (BertNormalizer, BertPreTokenizer) or a BPE model (ByteLevel).</summary>
    public static ITokenizer FromTokenizerJson(string path)
    {
        using JsonDocument doc = ParseJson(path);
        JsonElement root = doc.RootElement;
        if (!root.TryGetProperty("model", out JsonElement model) || model.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerException($"{path}: no \"model\" object.");
        }

        string? type = model.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        return type switch
        {
            "WordPiece" => WordPieceFromJson(path, root, model),
            "BPE" => BpeFromJson(path, root, model),
            _ => throw new TokenizerException($"{path}: tokenizer model type '{type ?? "(none)"}' is not supported (WordPiece and byte-level BPE are)."),
        };
    }

    private static WordPieceTokenizer WordPieceFromJson(string path, JsonElement root, JsonElement model)
    {
        var normalizer = new BertNormalizerOptions(false, false, false, false);
        JsonElement n = Property(root, "normalizer");
        if (n.ValueKind == JsonValueKind.Object)
        {
            string? type = StringOrNull(n, "type");
            if (type != "BertNormalizer")
            {
                throw new TokenizerException($"{path}: normalizer '{type}' is not supported with WordPiece (BertNormalizer is).");
            }

            normalizer = new BertNormalizerOptions(
                BoolOr(n, "clean_text", true), BoolOr(n, "handle_chinese_chars", true),
                Property(n, "strip_accents").ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => null,
                },
                BoolOr(n, "lowercase", true));
        }

        JsonElement pre = Property(root, "pre_tokenizer");
        string? preType = pre.ValueKind == JsonValueKind.Object ? StringOrNull(pre, "type") : null;
        if (preType != "BertPreTokenizer")
        {
            throw new TokenizerException($"{path}: pre-tokenizer '{preType ?? "(none)"}' is not supported with WordPiece (BertPreTokenizer is).");
        }

        var options = new WordPieceOptions(
            StringOrNull(model, "unk_token") ?? "[UNK]",
            StringOrNull(model, "continuing_subword_prefix") ?? "##",
            Property(model, "max_input_chars_per_word").ValueKind == JsonValueKind.Number ? model.GetProperty("max_input_chars_per_word").GetInt32() : 100);
        return new WordPieceTokenizer(new Vocabulary(ReadVocabObject(Property(model, "vocab"), path), path), normalizer, options);
    }

    private static ByteLevelBpeTokenizer BpeFromJson(string path, JsonElement root, JsonElement model)
    {
        foreach (string name in new[] { "dropout", "continuing_subword_prefix", "end_of_word_suffix" })
        {
            JsonElement value = Property(model, name);
            if (value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && !(value.ValueKind == JsonValueKind.String && value.GetString() == ""))
            {
                throw new TokenizerException($"{path}: BPE option '{name}' = {value} is not supported.");
            }
        }

        foreach (string name in new[] { "byte_fallback", "fuse_unk" })
        {
            if (Property(model, name).ValueKind == JsonValueKind.True)
            {
                throw new TokenizerException($"{path}: BPE option '{name}' is not supported.");
            }
        }

        if (Property(root, "normalizer").ValueKind == JsonValueKind.Object)
        {
            throw new TokenizerException($"{path}: a normalizer with byte-level BPE is not supported.");
        }

        JsonElement pre = Property(root, "pre_tokenizer");
        if (pre.ValueKind != JsonValueKind.Object || StringOrNull(pre, "type") != "ByteLevel" || !BoolOr(pre, "use_regex", true))
        {
            throw new TokenizerException($"{path}: BPE is supported only with the ByteLevel pre-tokenizer (use_regex true).");
        }

        // Offsets are trimmed by the post-processor (RobertaProcessing or ByteLevel) when it asks for it.
        JsonElement post = Property(root, "post_processor");
        bool trim = post.ValueKind == JsonValueKind.Object
            && StringOrNull(post, "type") is "RobertaProcessing" or "ByteLevel"
            && BoolOr(post, "trim_offsets", true);
        var options = new ByteLevelBpeOptions(BoolOr(pre, "add_prefix_space", false), trim);

        var merges = new List<(string, string)>();
        JsonElement mergeArray = Property(model, "merges");
        if (mergeArray.ValueKind != JsonValueKind.Array)
        {
            throw new TokenizerException($"{path}: BPE model has no merges array.");
        }

        int index = 0;
        foreach (JsonElement merge in mergeArray.EnumerateArray())
        {
            string where = $"{path} merge {index++}";
            if (merge.ValueKind == JsonValueKind.String)
            {
                merges.Add(ParseMerge(merge.GetString()!, where));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                merges.Add((merge[0].GetString() ?? "", merge[1].GetString() ?? ""));
            }
            else
            {
                throw new TokenizerException($"{where}: not a \"left right\" string or a two-element array.");
            }
        }

        return new ByteLevelBpeTokenizer(new Vocabulary(ReadVocabObject(Property(model, "vocab"), path), path), merges, options);
    }

    private static (BertNormalizerOptions, WordPieceOptions) ReadBertSettings(string modelDir)
    {
        string configPath = Path.Combine(modelDir, "tokenizer_config.json");
        if (!File.Exists(configPath))
        {
            return (new BertNormalizerOptions(), new WordPieceOptions());
        }

        using JsonDocument doc = ParseJson(configPath);
        JsonElement c = doc.RootElement;
        var normalizer = new BertNormalizerOptions(
            CleanText: true,
            HandleChineseChars: BoolOr(c, "tokenize_chinese_chars", true),
            StripAccents: Property(c, "strip_accents").ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => null,
            },
            Lowercase: BoolOr(c, "do_lower_case", true));
        JsonElement unk = Property(c, "unk_token");
        string unkToken = unk.ValueKind switch
        {
            JsonValueKind.String => unk.GetString()!,
            JsonValueKind.Object when unk.TryGetProperty("content", out JsonElement content) => content.GetString() ?? "[UNK]",
            _ => "[UNK]",
        };
        return (normalizer, new WordPieceOptions(UnkToken: unkToken));
    }

    private static string? ReadModelType(string modelDir)
    {
        string configPath = Path.Combine(modelDir, "config.json");
        if (!File.Exists(configPath))
        {
            return null;
        }

        using JsonDocument doc = ParseJson(configPath);
        return StringOrNull(doc.RootElement, "model_type");
    }

    private static Dictionary<string, int> ReadVocabObject(JsonElement vocab, string path)
    {
        if (vocab.ValueKind != JsonValueKind.Object)
        {
            throw new TokenizerException($"{path}: vocabulary is not a JSON object of token → id.");
        }

        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocab.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
            {
                throw new TokenizerException($"{path}: token '{entry.Name}' has a non-integer id {entry.Value}.");
            }

            tokens[entry.Name] = id;
        }

        return tokens;
    }

    private static (string, string) ParseMerge(string line, string where)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
        {
            throw new TokenizerException($"{where}: merge '{line}' is not two tokens separated by one space.");
        }

        return (line[..space], line[(space + 1)..]);
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{path}: not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read ({e.Message}).", e);
        }
    }

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read ({e.Message}).", e);
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out JsonElement value) ? value : default;

    private static string? StringOrNull(JsonElement element, string name)
    {
        JsonElement value = Property(element, name);
        return value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static bool BoolOr(JsonElement element, string name, bool fallback) => Property(element, name).ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => fallback,
    };
}
