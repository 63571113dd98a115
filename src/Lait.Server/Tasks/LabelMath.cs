namespace Lait.Server.Tasks;

/// <summary>Logits to probabilities and the winning label, shared by the task results and the aggregation.</summary>
public static class LabelMath
{
    /// <summary>Numerically stable softmax (the maximum is subtracted first).</summary>
    public static float[] Softmax(float[] logits)
    {
        float max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var p = new float[logits.Length];
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            p[i] = MathF.Exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.Length; i++) p[i] = (float)(p[i] / sum);
        return p;
    }

    /// <summary>Index of the largest value; the first one on ties.</summary>
    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }
}
