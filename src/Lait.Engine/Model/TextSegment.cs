using Lait.Engine.Tokenization;

namespace Lait.Engine.Model;

/// <summary>
/// A segment built from text: the framed token ids (<see cref="Segment"/>), the text tokens with their
/// character offsets (for mapping QA spans back to the text), where they start inside the segment, and
/// whether the text was cut to fit the model's positions.
/// </summary>
public sealed record TextSegment(Segment Segment, TokenSpan[] Tokens, int FirstTextToken, bool Truncated)
{
    /// <summary>Segment token index of text token <paramref name="i"/>.</summary>
    public int SegmentIndexOf(int i) => FirstTextToken + i;
}
