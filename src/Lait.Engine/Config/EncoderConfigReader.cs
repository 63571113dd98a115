using System.Globalization;
using System.Text.Json;

namespace Lait.Engine.Config;

/// <summary>
/// Reads a Hugging Face config.json (BERT, MiniLM, RoBERTa, DistilBERT, ELECTRA) plus the optional
/// "lait" section { "tower_layers": P, "position_mode": "per_segment" | "continuous" }.
/// </summary>
public static class EncoderConfigReader
{
    public const string FileName = "config.json";

    public static EncoderConfig FromDirectory(string modelDir)
    {
        string path = Path.Combine(modelDir, FileName);
        if (!File.Exists(path))
        {
            throw new ModelConfigException($"No {FileName} in model directory '{modelDir}'.");
        }

        return FromJson(File.ReadAllText(path), path);
    }

    public static EncoderConfig FromJson(string json, string source = FileName)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new ModelConfigException($"{source} is not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelConfigException($"{source} must hold a JSON object.");
            }

            return Parse(doc.RootElement, source);
        }
    }

    private static EncoderConfig Parse(JsonElement root, string source)
    {
        string? modelType = GetString(root, "model_type");
        string? architectureName = null;
        if (root.TryGetProperty("architectures", out JsonElement archs) && archs.ValueKind == JsonValueKind.Array && archs.GetArrayLength() > 0)
        {
            architectureName = archs[0].GetString();
        }

        EncoderArchitecture arch = ResolveArchitecture(modelType, architectureName, source);
        HeadKind head = ResolveHead(architectureName, source);

        var r = new Reader(root, source);
        EncoderConfig config = arch switch
        {
            EncoderArchitecture.DistilBert => ParseDistilBert(r, head, architectureName ?? "distilbert"),
            _ => ParseBertLike(r, arch, head, architectureName ?? modelType!),
        };

        Validate(config, source);
        return config;
    }

    private static EncoderConfig ParseBertLike(Reader r, EncoderArchitecture arch, HeadKind head, string name)
    {
        string positionType = r.String("position_embedding_type", "absolute");
        if (positionType != "absolute")
        {
            throw new ModelConfigException($"{r.Source}: position_embedding_type '{positionType}' is not supported (only 'absolute').");
        }

        int hidden = r.Int("hidden_size");
        int pad = r.Int("pad_token_id", arch == EncoderArchitecture.Roberta ? 1 : 0);
        var (towerLayers, positionMode, otherStart) = ReadLait(r);
        return new EncoderConfig
        {
            Architecture = arch,
            Head = head,
            ArchitectureName = name,
            VocabSize = r.Int("vocab_size"),
            HiddenSize = hidden,
            EmbeddingSize = arch == EncoderArchitecture.Electra ? r.Int("embedding_size", hidden) : hidden,
            NumLayers = r.Int("num_hidden_layers"),
            NumHeads = r.Int("num_attention_heads"),
            IntermediateSize = r.Int("intermediate_size"),
            MaxPositionEmbeddings = r.Int("max_position_embeddings", 512),
            TypeVocabSize = r.Int("type_vocab_size", 2),
            LayerNormEps = (float)r.Double("layer_norm_eps", 1e-12),
            HiddenActivation = ParseActivation(r.String("hidden_act", "gelu"), r.Source),
            PadTokenId = pad,
            PositionOffset = arch == EncoderArchitecture.Roberta ? pad + 1 : 0,
            Labels = ReadLabels(r),
            TowerLayers = towerLayers,
            PositionMode = positionMode,
            OtherPositionStart = otherStart,
        };
    }

    private static EncoderConfig ParseDistilBert(Reader r, HeadKind head, string name)
    {
        // sinusoidal_pos_embds: the fixed table is still saved as position_embeddings.weight, so it loads like a learned one.
        _ = r.Bool("sinusoidal_pos_embds", false);

        var (towerLayers, positionMode, otherStart) = ReadLait(r);
        return new EncoderConfig
        {
            Architecture = EncoderArchitecture.DistilBert,
            Head = head,
            ArchitectureName = name,
            VocabSize = r.Int("vocab_size"),
            HiddenSize = r.Int("dim"),
            EmbeddingSize = r.Int("dim"),
            NumLayers = r.Int("n_layers"),
            NumHeads = r.Int("n_heads"),
            IntermediateSize = r.Int("hidden_dim"),
            MaxPositionEmbeddings = r.Int("max_position_embeddings", 512),
            TypeVocabSize = 0,
            LayerNormEps = 1e-12f, // DistilBERT hard-codes its LayerNorm eps
            HiddenActivation = ParseActivation(r.String("activation", "gelu"), r.Source),
            PadTokenId = r.Int("pad_token_id", 0),
            PositionOffset = 0,
            Labels = ReadLabels(r),
            TowerLayers = towerLayers,
            PositionMode = positionMode,
            OtherPositionStart = otherStart,
        };
    }

    private static (int TowerLayers, PositionMode Mode, int OtherPositionStart) ReadLait(Reader r)
    {
        if (!r.Root.TryGetProperty("lait", out JsonElement lait) || lait.ValueKind == JsonValueKind.Null)
        {
            return (0, PositionMode.Continuous, 0);
        }

        if (lait.ValueKind != JsonValueKind.Object)
        {
            throw new ModelConfigException($"{r.Source}: \"lait\" must be an object like {{\"tower_layers\": 2, \"position_mode\": \"per_segment\"}}.");
        }

        var lr = new Reader(lait, r.Source + " (lait)");
        int towers = lr.Int("tower_layers", 0);
        string mode = lr.String("position_mode", "continuous");
        PositionMode positionMode = mode switch
        {
            "continuous" => PositionMode.Continuous,
            "per_segment" => PositionMode.PerSegment,
            "role_offset" => PositionMode.RoleOffset,
            _ => throw new ModelConfigException($"{r.Source}: lait.position_mode '{mode}' is not one of 'per_segment', 'role_offset', 'continuous'."),
        };
        int otherStart = 0;
        if (positionMode == PositionMode.RoleOffset)
        {
            otherStart = lr.Int("other_position_start", -1);
            if (otherStart < 0)
            {
                throw new ModelConfigException($"{r.Source}: lait.position_mode 'role_offset' needs lait.other_position_start, a position >= 0 where every non-first segment starts.");
            }
        }

        return (towers, positionMode, otherStart);
    }

    private static IReadOnlyList<string> ReadLabels(Reader r)
    {
        if (!r.Root.TryGetProperty("id2label", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
        {
            return Array.Empty<string>();
        }

        var byIndex = new SortedDictionary<int, string>();
        foreach (JsonProperty p in map.EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index) || index < 0)
            {
                throw new ModelConfigException($"{r.Source}: id2label key '{p.Name}' is not a non-negative integer.");
            }

            byIndex[index] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.ToString();
        }

        var labels = new string[byIndex.Count];
        int expected = 0;
        foreach (var (index, label) in byIndex)
        {
            if (index != expected)
            {
                throw new ModelConfigException($"{r.Source}: id2label has no entry for index {expected}; labels must be numbered 0..n-1.");
            }

            labels[expected++] = label;
        }

        return labels;
    }

    private static EncoderArchitecture ResolveArchitecture(string? modelType, string? architectureName, string source)
    {
        switch (modelType)
        {
            case "bert":
                return EncoderArchitecture.Bert;
            case "roberta":
                return EncoderArchitecture.Roberta;
            case "distilbert":
                return EncoderArchitecture.DistilBert;
            case "electra":
                return EncoderArchitecture.Electra;
            case null:
                break;
            default:
                throw new ModelConfigException(
                    $"{source}: model_type '{modelType}' is not supported. Supported: bert (incl. MiniLM), roberta, distilbert, electra.");
        }

        // Old configs may lack model_type; fall back to the class name.
        string name = architectureName ?? throw new ModelConfigException($"{source}: neither model_type nor architectures is set, so the architecture is unknown.");
        if (name.StartsWith("DistilBert", StringComparison.Ordinal))
        {
            return EncoderArchitecture.DistilBert;
        }

        if (name.StartsWith("Roberta", StringComparison.Ordinal))
        {
            return EncoderArchitecture.Roberta;
        }

        if (name.StartsWith("Electra", StringComparison.Ordinal))
        {
            return EncoderArchitecture.Electra;
        }

        if (name.StartsWith("Bert", StringComparison.Ordinal))
        {
            return EncoderArchitecture.Bert;
        }

        throw new ModelConfigException($"{source}: architecture '{name}' is not supported. Supported: BERT (incl. MiniLM), RoBERTa, DistilBERT, ELECTRA.");
    }

    private static HeadKind ResolveHead(string? architectureName, string source)
    {
        if (architectureName is null)
        {
            return HeadKind.None;
        }

        if (architectureName.EndsWith("ForSequenceClassification", StringComparison.Ordinal))
        {
            return HeadKind.SequenceClassification;
        }

        if (architectureName.EndsWith("ForQuestionAnswering", StringComparison.Ordinal))
        {
            return HeadKind.QuestionAnswering;
        }

        if (architectureName.EndsWith("Model", StringComparison.Ordinal)
            || architectureName.EndsWith("ForMaskedLM", StringComparison.Ordinal)
            || architectureName.EndsWith("ForPreTraining", StringComparison.Ordinal))
        {
            return HeadKind.None; // encoder only: hidden states and pooled embeddings
        }

        throw new ModelConfigException(
            $"{source}: head '{architectureName}' is not supported. Supported: *ForSequenceClassification, *ForQuestionAnswering, or a bare encoder (*Model, *ForMaskedLM, *ForPreTraining) for embeddings.");
    }

    private static Activation ParseActivation(string name, string source) => name switch
    {
        "gelu" => Activation.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activation.GeluTanh,
        "relu" => Activation.Relu,
        "silu" or "swish" => Activation.Silu,
        _ => throw new ModelConfigException($"{source}: activation '{name}' is not supported. Supported: gelu (exact erf), gelu_new / gelu_pytorch_tanh, relu, silu."),
    };

    private static void Validate(EncoderConfig c, string source)
    {
        void Positive(int value, string name)
        {
            if (value <= 0)
            {
                throw new ModelConfigException($"{source}: {name} must be positive, got {value}.");
            }
        }

        Positive(c.VocabSize, "vocab_size");
        Positive(c.HiddenSize, "hidden size");
        Positive(c.EmbeddingSize, "embedding size");
        Positive(c.NumLayers, "number of layers");
        Positive(c.NumHeads, "number of attention heads");
        Positive(c.IntermediateSize, "intermediate size");
        Positive(c.MaxSequenceLength, "max_position_embeddings (after the position offset)");
        if (c.HiddenSize % c.NumHeads != 0)
        {
            throw new ModelConfigException($"{source}: hidden size {c.HiddenSize} is not divisible by {c.NumHeads} attention heads.");
        }

        if (c.OtherPositionStart >= c.MaxSequenceLength)
        {
            throw new ModelConfigException($"{source}: lait.other_position_start is {c.OtherPositionStart}; it must leave room in the model's {c.MaxSequenceLength} positions.");
        }

        if (c.TowerLayers < 0 || c.TowerLayers > c.NumLayers)
        {
            throw new ModelConfigException($"{source}: lait.tower_layers is {c.TowerLayers}; it must be between 0 and the number of layers ({c.NumLayers}).");
        }

        if (c.PadTokenId < 0 || c.PadTokenId >= c.VocabSize)
        {
            throw new ModelConfigException($"{source}: pad_token_id {c.PadTokenId} is outside the vocabulary (size {c.VocabSize}).");
        }
    }

    /// <summary>Typed access to config keys with errors that name the key and file.</summary>
    private readonly struct Reader(JsonElement root, string source)
    {
        public JsonElement Root { get; } = root;
        public string Source { get; } = source;

        public int Int(string key, int? fallback = null)
        {
            if (!Root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return fallback ?? throw new ModelConfigException($"{Source}: required key '{key}' is missing.");
            }

            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int value))
            {
                throw new ModelConfigException($"{Source}: '{key}' must be an integer, got {v.GetRawText()}.");
            }

            return value;
        }

        public double Double(string key, double fallback)
        {
            if (!Root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            if (v.ValueKind != JsonValueKind.Number)
            {
                throw new ModelConfigException($"{Source}: '{key}' must be a number, got {v.GetRawText()}.");
            }

            return v.GetDouble();
        }

        public string String(string key, string fallback)
        {
            if (!Root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            if (v.ValueKind != JsonValueKind.String)
            {
                throw new ModelConfigException($"{Source}: '{key}' must be a string, got {v.GetRawText()}.");
            }

            return v.GetString()!;
        }

        public bool Bool(string key, bool fallback)
        {
            if (!Root.TryGetProperty(key, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            {
                return fallback;
            }

            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ModelConfigException($"{Source}: '{key}' must be true or false, got {v.GetRawText()}."),
            };
        }
    }

    private static string? GetString(JsonElement root, string key) =>
        root.TryGetProperty(key, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
