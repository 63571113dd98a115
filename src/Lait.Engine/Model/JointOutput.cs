namespace Lait.Engine.Model;

/// <summary>Final hidden states of one joint sequence (the concatenated segments after all L layers).</summary>
public sealed class JointOutput
{
    internal JointOutput(int tokenCount, int hiddenSize, float[] hidden, int[] segmentStarts)
    {
        TokenCount = tokenCount;
        HiddenSize = hiddenSize;
        Hidden = hidden;
        SegmentStarts = segmentStarts;
    }

    public int TokenCount { get; }

    public int HiddenSize { get; }

    /// <summary>[TokenCount x HiddenSize] row-major.</summary>
    public float[] Hidden { get; }

    /// <summary>Index of each segment's first token in the joint sequence (QA maps span tokens back to a segment with it).</summary>
    public int[] SegmentStarts { get; }

    public ReadOnlySpan<float> Row(int token) => Hidden.AsSpan(token * HiddenSize, HiddenSize);
}
