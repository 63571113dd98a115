using Lait.Protos.V1;
using Lait.Server.Models;

namespace Lait.Server.Validation;

/// <summary>
/// Checks the combined sequences of a Combine call against the model's joint limit before any tower
/// or joint compute, and under TRUNCATION_TRUNCATE fits them by cutting inline segments.
/// A combined sequence is all segments for TASK_TYPE_CLASSIFY, YES_NO and EXTRACTIVE_QA, and the claim
/// plus one evidence for each pair of TASK_TYPE_VERIFY_CLAIM. Cutting keeps the first tokens of the
/// combined sequence: the last segment loses its tail first, then the one before it, and so on (for a
/// claim pair: the evidence first, then the claim); each cut segment keeps its leading special token,
/// at least one content token and its final [SEP]. Stored segments are never cut (their tower states
/// are fixed): a sequence that cannot fit by cutting inline segments is RESOURCE_EXHAUSTED.
/// </summary>
public static class JointFit
{
    /// <summary>Fewest tokens a cut segment keeps: a leading special token, one content token, [SEP].</summary>
    public const int MinCutTokens = 3;

    /// <summary>
    /// The length every segment must have for the call's sequences to fit in <paramref name="maxTokens"/>
    /// (the input length where nothing needs cutting). Throws RESOURCE_EXHAUSTED when they do not fit and
    /// <paramref name="truncate"/> is false, or cannot be made to fit by cutting the segments that are
    /// <paramref name="cuttable"/>.
    /// </summary>
    public static int[] Plan(TaskType task, int maxTokens, bool truncate, IReadOnlyList<int> lengths, IReadOnlyList<bool> cuttable)
    {
        var plan = lengths.ToArray();
        if (plan.Length == 0) return plan;
        return task == TaskType.VerifyClaim
            ? PlanPairs(maxTokens, truncate, plan, cuttable)
            : PlanSequence(maxTokens, truncate, plan, cuttable);
    }

    /// <summary>
    /// Applies <see cref="Plan"/> to a Combine call: <paramref name="storedLength"/> gives the token count of
    /// segment i when it is stored; the <paramref name="inline"/> entries (segment index, tokenized
    /// segment, text) are replaced by their cut versions where the plan shortens them.
    /// </summary>
    public static void Apply(TaskType task, int maxTokens, bool truncate, int count, Func<int, int> storedLength,
        IList<(int Index, TokenizedSegment Segment, string Text)> inline)
    {
        var lengths = new int[count];
        var cuttable = new bool[count];
        var at = new int[count];
        Array.Fill(at, -1);
        for (int k = 0; k < inline.Count; k++)
        {
            at[inline[k].Index] = k;
            cuttable[inline[k].Index] = true;
        }
        for (int i = 0; i < count; i++) lengths[i] = at[i] >= 0 ? inline[at[i]].Segment.TokenIds.Length : storedLength(i);
        var plan = Plan(task, maxTokens, truncate, lengths, cuttable);
        for (int i = 0; i < count; i++)
        {
            if (at[i] < 0 || plan[i] == lengths[i]) continue;
            var entry = inline[at[i]];
            inline[at[i]] = (entry.Index, Cut(entry.Segment, plan[i]), entry.Text);
        }
    }

    /// <summary>The segment's first <paramref name="length"/> - 1 tokens and its final [SEP], marked truncated.</summary>
    public static TokenizedSegment Cut(TokenizedSegment segment, int length)
    {
        int have = segment.TokenIds.Length;
        if (length >= have) return segment;
        if (length < Math.Min(MinCutTokens, have)) throw new ArgumentOutOfRangeException(nameof(length), length, "a cut segment keeps at least 3 tokens");
        var ids = new int[length];
        var offsets = new (int Start, int End)[length];
        Array.Copy(segment.TokenIds, ids, length - 1);
        Array.Copy(segment.Offsets, offsets, length - 1);
        ids[^1] = segment.TokenIds[^1];
        offsets[^1] = segment.Offsets[^1];
        return segment with { TokenIds = ids, Offsets = offsets, Truncated = true };
    }

    private static int Floor(int length) => Math.Min(length, MinCutTokens);

    private static int[] PlanSequence(int maxTokens, bool truncate, int[] plan, IReadOnlyList<bool> cuttable)
    {
        int total = plan.Sum();
        if (total <= maxTokens) return plan;
        string lengths = ErrorText.List(plan.Select((n, i) => $"segments[{i}] {n}"));
        if (!truncate)
        {
            throw RequestError.Exhausted(
                $"the combined sequence has {total} tokens ({lengths}); the model joins at most {maxTokens}: " +
                "use fewer or shorter segments, or set truncation = TRUNCATION_TRUNCATE to cut inline segments");
        }
        int excess = total - maxTokens;
        for (int i = plan.Length - 1; i >= 0 && excess > 0; i--)
        {
            if (!cuttable[i]) continue;
            int cut = Math.Min(excess, plan[i] - Floor(plan[i]));
            plan[i] -= cut;
            excess -= cut;
        }
        if (excess > 0)
        {
            throw RequestError.Exhausted(
                $"the combined sequence has {total} tokens ({lengths}); the model joins at most {maxTokens}, and with truncation it still " +
                $"has {maxTokens + excess}: stored segments are never cut (their tower states are fixed), so send fewer or shorter ones");
        }
        return plan;
    }

    private static int[] PlanPairs(int maxTokens, bool truncate, int[] plan, IReadOnlyList<bool> cuttable)
    {
        var over = Enumerable.Range(1, plan.Length - 1).Where(e => plan[0] + plan[e] > maxTokens).ToList();
        if (over.Count == 0) return plan;
        string Describe(IEnumerable<int> pairs) => ErrorText.List(pairs.Select(e => $"segments[0] + segments[{e}] = {plan[0] + plan[e]}"));
        if (!truncate)
        {
            throw RequestError.Exhausted(
                $"{over.Count} claim + evidence pair(s) are longer than the {maxTokens} tokens the model joins ({Describe(over)}): " +
                "use shorter segments, or set truncation = TRUNCATION_TRUNCATE to cut inline segments");
        }
        string before = Describe(over);
        // Evidence is cut before the claim, which every pair shares: the claim shrinks only as far as a pair
        // whose evidence cannot be cut enough (stored, or already at the floor) needs.
        int claimRoom = plan[0];
        foreach (int e in over) claimRoom = Math.Min(claimRoom, maxTokens - (cuttable[e] ? Floor(plan[e]) : plan[e]));
        if (claimRoom < plan[0] && cuttable[0]) plan[0] = Math.Max(Floor(plan[0]), claimRoom);
        foreach (int e in over)
        {
            if (cuttable[e] && plan[0] + plan[e] > maxTokens) plan[e] = Math.Max(Floor(plan[e]), maxTokens - plan[0]);
        }
        var still = over.Where(e => plan[0] + plan[e] > maxTokens).ToList();
        if (still.Count > 0)
        {
            throw RequestError.Exhausted(
                $"{still.Count} claim + evidence pair(s) cannot be cut to the {maxTokens} tokens the model joins ({before}): " +
                "stored segments are never cut (their tower states are fixed), so send shorter ones");
        }
        return plan;
    }
}
