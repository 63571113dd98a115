using Lait.Store.Ids;

namespace Lait.Store;

/// <summary>
/// A segment's tower output: [tokens x hidden] fp32 values, row-major, one row per token id of
/// <see cref="Key"/>. The store encodes it with a <see cref="Codec.StateCodec"/> and returns the decoded
/// (possibly quantised) values. <see cref="Values"/> is not copied: do not change it while a put of this
/// state is running.
/// </summary>
public sealed class SegmentState
{
    public SegmentState(SegmentKey key, int hidden, float[] values)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(values);
        if (hidden <= 0 || hidden > 65_536)
            throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "Hidden size must be in 1..65536.");
        if ((long)key.TokenIds.Length * hidden != values.Length)
            throw new ArgumentException(
                $"State has {values.Length} values; expected tokens ({key.TokenIds.Length}) x hidden ({hidden}).", nameof(values));
        Key = key;
        Hidden = hidden;
        Values = values;
    }

    public SegmentKey Key { get; }
    public int Tokens => Key.TokenIds.Length;
    public int Hidden { get; }
    public float[] Values { get; }
}
