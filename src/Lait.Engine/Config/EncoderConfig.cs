namespace Lait.Engine.Config;

/// <summary>The encoder families the engine can run.</summary>
public enum EncoderArchitecture
{
    Bert,
    Roberta,
    DistilBert,
    Electra,
}

/// <summary>The task head named by config.json "architectures" (the first entry).</summary>
public enum HeadKind
{
    /// <summary>Bare encoder (BertModel, RobertaModel, ...): only hidden states and pooled embeddings.</summary>
    None,
    SequenceClassification,
    QuestionAnswering,
}

/// <summary>Feed-forward activation. Gelu is the exact erf form BERT uses.</summary>
public enum Activation
{
    Gelu,
    GeluTanh,
    Relu,
    Silu,
}

/// <summary>How position ids are assigned to a segment's tokens (DESIGN.md §4).</summary>
public enum PositionMode
{
    /// <summary>Positions continue across segments, as in a stock cross-encoder; a later segment needs its start offset.</summary>
    Continuous,

    /// <summary>Positions restart at 0 in every segment (DeFormer style).</summary>
    PerSegment,

    /// <summary>
    /// The first segment from 0, every other segment from <see cref="EncoderConfig.OtherPositionStart"/>:
    /// cacheable like per-segment (the start depends only on the role) but nearer to what a pretrained
    /// encoder saw, where the second text follows the first.
    /// </summary>
    RoleOffset,
}

/// <summary>Everything the engine needs from config.json, normalised across the BERT family.</summary>
public sealed record EncoderConfig
{
    public required EncoderArchitecture Architecture { get; init; }
    public required HeadKind Head { get; init; }

    /// <summary>The "architectures" entry the head was taken from (e.g. "BertForSequenceClassification"), or the model_type.</summary>
    public required string ArchitectureName { get; init; }

    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }

    /// <summary>Width of the embedding tables; differs from HiddenSize only for ELECTRA (then embeddings_project maps it).</summary>
    public required int EmbeddingSize { get; init; }

    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int IntermediateSize { get; init; }

    /// <summary>Rows of the position embedding table.</summary>
    public required int MaxPositionEmbeddings { get; init; }

    /// <summary>0 for DistilBERT (no token type table).</summary>
    public required int TypeVocabSize { get; init; }

    public required float LayerNormEps { get; init; }
    public required Activation HiddenActivation { get; init; }
    public required int PadTokenId { get; init; }

    /// <summary>Added to every position id: padding_idx + 1 for RoBERTa, 0 otherwise.</summary>
    public required int PositionOffset { get; init; }

    /// <summary>Class labels by index (id2label); empty for models without a classification head.</summary>
    public required IReadOnlyList<string> Labels { get; init; }

    /// <summary>LAIT: number of leading layers run per segment (P). 0 = stock cross-encoder.</summary>
    public required int TowerLayers { get; init; }

    public required PositionMode PositionMode { get; init; }

    /// <summary>Position of the first token of every non-first segment under <see cref="PositionMode.RoleOffset"/>; 0 otherwise.</summary>
    public int OtherPositionStart { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    /// <summary>Longest token sequence (segment, or joint sequence) the position table can address.</summary>
    public int MaxSequenceLength => MaxPositionEmbeddings - PositionOffset;

    public int JointLayers => NumLayers - TowerLayers;
}
