using Lait.Store.Ids;

namespace Lait.Server.Models;

/// <summary>The heads a model can apply after its joint layers.</summary>
public enum HeadKind
{
    /// <summary>Sequence classification (NLI, claim verification, yes/no QA): one logit per label.</summary>
    Classification,
    /// <summary>Extractive QA: a start and an end logit per token.</summary>
    SpanExtraction,
}

/// <summary>What a served model is, as ListModels / DescribeModel report it.</summary>
public sealed record ModelDescription(
    string Name,
    string Architecture,
    int NumLayers,
    int TowerLayers,
    int HiddenSize,
    int NumHeads,
    int VocabSize,
    int MaxPositions,
    PositionMode PositionMode,
    IReadOnlyList<string> Labels,
    bool HasClassificationHead,
    bool HasSpanHead,
    string Fingerprint,
    string TokenizerFingerprint)
{
    /// <summary>Longest single segment, in tokens including [CLS]/[SEP] (under role offsets a later segment has fewer positions left).</summary>
    public int MaxSegmentTokens => MaxPositions;

    /// <summary>
    /// Index of the "yes" (or "true") label of a yes/no classifier, -1 for other models. A model with
    /// one answers TASK_TYPE_YES_NO and not claim verification; any other classifier the reverse.
    /// </summary>
    public int YesLabel => HasClassificationHead ? IndexOfLabel("yes", "true") : -1;

    private int IndexOfLabel(params string[] names)
    {
        for (int i = 0; i < Labels.Count; i++)
        {
            if (Array.IndexOf(names, Labels[i].Trim().ToLowerInvariant()) >= 0) return i;
        }
        return -1;
    }
}

/// <summary>
/// A segment ready for the tower: token ids with the special tokens of its role already added, and
/// for each token its UTF-16 [start, end) offsets in the source text ((0, 0) for special tokens and
/// for segments given as token ids).
/// </summary>
public sealed record TokenizedSegment(int[] TokenIds, (int Start, int End)[] Offsets, SegmentRole Role, bool Truncated);

/// <summary>One segment of a joint input: its tower state [tokens x hidden] and what produced it.</summary>
public sealed record SegmentTensor(int[] TokenIds, SegmentRole Role, float[] State);

/// <summary>What a head produced for one joint sequence.</summary>
public sealed record HeadOutput(float[] Logits, float[]? StartLogits, float[]? EndLogits);

/// <summary>Thrown for input the model cannot take (unknown token id, too long); maps to INVALID_ARGUMENT.</summary>
public sealed class ModelInputException(string message, bool exceedsLimit = false) : Exception(message)
{
    /// <summary>True when the input is well-formed but too large (RESOURCE_EXHAUSTED rather than INVALID_ARGUMENT).</summary>
    public bool ExceedsLimit { get; } = exceedsLimit;
}

/// <summary>
/// The service's view of a LAIT model: tokenization, the per-segment tower and the joint layers
/// with their heads. Implementations are thread-safe; Tower and Joint take whole batches so that
/// the service can batch work from concurrent calls.
/// </summary>
public interface IServedModel
{
    ModelDescription Description { get; }

    /// <summary>Tokenizes text for a segment of the given role; throws <see cref="ModelInputException"/> when it
    /// does not fit and <paramref name="truncate"/> is false, or the text has no tokens.</summary>
    TokenizedSegment Tokenize(string text, SegmentRole role, bool truncate);

    /// <summary>Wraps client-given token ids (without specials) for a role; validates the vocabulary range.</summary>
    TokenizedSegment FromTokenIds(ReadOnlySpan<int> tokenIds, SegmentRole role, bool truncate);

    /// <summary>Tower states (layers 0..P-1) of many segments, each on its own.</summary>
    float[][] Tower(IReadOnlyList<TokenizedSegment> segments);

    /// <summary>Joint layers (P..L-1) and a head over many combined sequences, each an ordered list of segments.</summary>
    HeadOutput[] Joint(IReadOnlyList<IReadOnlyList<SegmentTensor>> sequences, HeadKind head);
}
