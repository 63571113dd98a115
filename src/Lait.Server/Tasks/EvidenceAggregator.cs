namespace Lait.Server.Tasks;

/// <summary>How per-evidence label probabilities become one verdict (lait.v1.Aggregation).</summary>
public enum AggregationRule
{
    MaxConfidence,
    Mean,
    Majority,
}

/// <summary>The verdict over all evidence, and the evidence ranked best first (indices into the input).</summary>
public sealed record AggregatedVerdict(int Label, float[] Probabilities, int[] Ranking);

/// <summary>
/// Multi-evidence claim verification: combines one probability vector per (claim, evidence) pair.
/// Ranking puts evidence whose top label is decisive (not neutral) first, most confident first, then
/// the neutral ones by their strongest decisive label; rank 1 is the evidence that settles the claim
/// under <see cref="AggregationRule.MaxConfidence"/>.
/// </summary>
public static class EvidenceAggregator
{
    private static readonly HashSet<string> NeutralNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "neutral", "not enough info", "not_enough_info", "not enough information",
        "not_enough_information", "nei", "noinfo", "unknown", "maybe",
    };

    /// <summary>The index of the label that means "this evidence says nothing", or -1 if the model has none.</summary>
    public static int FindNeutralLabel(IReadOnlyList<string> labels)
    {
        for (int i = 0; i < labels.Count; i++)
        {
            if (NeutralNames.Contains(labels[i].Trim())) return i;
        }
        return -1;
    }

    public static AggregatedVerdict Aggregate(IReadOnlyList<float[]> probabilities, int neutralLabel, AggregationRule rule)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.Count == 0) throw new ArgumentException("at least one evidence result is needed", nameof(probabilities));
        int labels = probabilities[0].Length;
        for (int e = 1; e < probabilities.Count; e++)
        {
            if (probabilities[e].Length != labels) throw new ArgumentException("every evidence result must have the same number of labels", nameof(probabilities));
        }

        int[] ranking = Rank(probabilities, neutralLabel);
        return rule switch
        {
            AggregationRule.MaxConfidence => MaxConfidence(probabilities, neutralLabel, ranking),
            AggregationRule.Mean => Mean(probabilities, ranking),
            AggregationRule.Majority => Majority(probabilities, ranking),
            _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "unknown aggregation rule"),
        };
    }

    private static int[] Rank(IReadOnlyList<float[]> probabilities, int neutralLabel)
    {
        var order = new int[probabilities.Count];
        var decisive = new bool[probabilities.Count];
        var strength = new float[probabilities.Count];
        for (int e = 0; e < order.Length; e++)
        {
            order[e] = e;
            int top = LabelMath.ArgMax(probabilities[e]);
            decisive[e] = top != neutralLabel;
            strength[e] = MaxExcept(probabilities[e], neutralLabel);
        }
        Array.Sort(order, (a, b) =>
        {
            if (decisive[a] != decisive[b]) return decisive[a] ? -1 : 1;
            int byStrength = strength[b].CompareTo(strength[a]);
            return byStrength != 0 ? byStrength : a.CompareTo(b);
        });
        return order;
    }

    private static AggregatedVerdict MaxConfidence(IReadOnlyList<float[]> probabilities, int neutralLabel, int[] ranking)
    {
        int best = ranking[0];
        if (LabelMath.ArgMax(probabilities[best]) != neutralLabel)
        {
            return new AggregatedVerdict(LabelMath.ArgMax(probabilities[best]), (float[])probabilities[best].Clone(), ranking);
        }
        // Every evidence is neutral: report the most confidently neutral one.
        int mostNeutral = 0;
        for (int e = 1; e < probabilities.Count; e++)
        {
            if (probabilities[e][neutralLabel] > probabilities[mostNeutral][neutralLabel]) mostNeutral = e;
        }
        return new AggregatedVerdict(neutralLabel, (float[])probabilities[mostNeutral].Clone(), ranking);
    }

    private static AggregatedVerdict Mean(IReadOnlyList<float[]> probabilities, int[] ranking)
    {
        var mean = new float[probabilities[0].Length];
        foreach (var p in probabilities)
        {
            for (int l = 0; l < mean.Length; l++) mean[l] += p[l];
        }
        for (int l = 0; l < mean.Length; l++) mean[l] /= probabilities.Count;
        return new AggregatedVerdict(LabelMath.ArgMax(mean), mean, ranking);
    }

    private static AggregatedVerdict Majority(IReadOnlyList<float[]> probabilities, int[] ranking)
    {
        int labels = probabilities[0].Length;
        var votes = new int[labels];
        var summed = new float[labels];
        foreach (var p in probabilities)
        {
            votes[LabelMath.ArgMax(p)]++;
            for (int l = 0; l < labels; l++) summed[l] += p[l];
        }
        int winner = 0;
        for (int l = 1; l < labels; l++)
        {
            if (votes[l] > votes[winner] || (votes[l] == votes[winner] && summed[l] > summed[winner])) winner = l;
        }
        // The reported distribution is the vote share, so it sums to 1 and matches the rule.
        var share = new float[labels];
        for (int l = 0; l < labels; l++) share[l] = votes[l] / (float)probabilities.Count;
        return new AggregatedVerdict(winner, share, ranking);
    }

    private static float MaxExcept(float[] values, int skip)
    {
        float best = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            if (i != skip && values[i] > best) best = values[i];
        }
        return best;
    }
}
