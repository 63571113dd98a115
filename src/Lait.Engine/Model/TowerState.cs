namespace Lait.Engine.Model;

/// <summary>
/// A segment's hidden states after the tower layers (layer P): [TokenCount x HiddenSize] row-major fp32.
/// Independent of every other segment, so it can be stored and reused. <see cref="Role"/> and
/// <see cref="PositionStart"/> record how it was computed; <see cref="LaitModel.Joint(IReadOnlyList{TowerState})"/> checks them.
/// </summary>
public sealed class TowerState
{
    public TowerState(SegmentRole role, int positionStart, int tokenCount, int hiddenSize, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (tokenCount <= 0 || hiddenSize <= 0 || positionStart < 0)
        {
            throw new EngineInputException($"A tower state needs at least one token, a positive hidden size and a non-negative position start (got {tokenCount} tokens, hidden {hiddenSize}, start {positionStart}).");
        }

        if (values.Length != (long)tokenCount * hiddenSize)
        {
            throw new EngineInputException($"A tower state of {tokenCount} tokens x {hiddenSize} needs {(long)tokenCount * hiddenSize} values, got {values.Length}.");
        }

        Role = role;
        PositionStart = positionStart;
        TokenCount = tokenCount;
        HiddenSize = hiddenSize;
        Values = values;
    }

    public SegmentRole Role { get; }

    public int PositionStart { get; }

    public int TokenCount { get; }

    public int HiddenSize { get; }

    /// <summary>[TokenCount x HiddenSize] row-major.</summary>
    public float[] Values { get; }
}
