namespace Lait.Engine.Model;

/// <summary>A segment's role decides its token type id: First = 0 (claim, question), Other = 1 (evidence, passage).</summary>
public enum SegmentRole
{
    First,
    Other,
}

/// <summary>
/// One text segment as token ids (the first segment starts with [CLS]/&lt;s&gt;; every segment ends with
/// its separator; the tokenizer adds them). <see cref="PositionStart"/> is the position id of its first
/// token: always 0 under per-segment positions; under continuous positions the number of tokens that
/// precede this segment in the joint sequence (0 for the first). It is part of what the tower computes,
/// so a cache key must include it.
/// </summary>
public sealed record Segment(SegmentRole Role, int[] TokenIds, int PositionStart = 0)
{
    /// <summary>The leading segment (token type 0), positions from 0.</summary>
    public static Segment First(int[] tokenIds) => new(SegmentRole.First, tokenIds, 0);

    /// <summary>A following segment (token type 1); <paramref name="positionStart"/> matters only under continuous positions.</summary>
    public static Segment Other(int[] tokenIds, int positionStart = 0) => new(SegmentRole.Other, tokenIds, positionStart);
}
