namespace Lait.Engine.Heads;

/// <summary>Extractive QA output: start and end logits for every token of the joint sequence.</summary>
public sealed class SpanLogits
{
    internal SpanLogits(float[] start, float[] end)
    {
        Start = start;
        End = end;
    }

    public float[] Start { get; }

    public float[] End { get; }

    /// <summary>
    /// The span (start &lt;= end, at most <paramref name="maxLength"/> tokens) inside [first, last] with the
    /// highest start + end logit. The caller restricts the range to the passage's tokens (without separators).
    /// </summary>
    public (int Start, int End, float Score) BestSpan(int first, int last, int maxLength = 30)
    {
        if (first < 0 || last >= Start.Length || first > last || maxLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"Span range [{first}, {last}] is not inside 0..{Start.Length - 1} or maxLength < 1.");
        }

        (int s, int e, float score) best = (first, first, float.NegativeInfinity);
        for (int i = first; i <= last; i++)
        {
            int stop = Math.Min(last, i + maxLength - 1);
            for (int j = i; j <= stop; j++)
            {
                float score = Start[i] + End[j];
                if (score > best.score)
                {
                    best = (i, j, score);
                }
            }
        }

        return best;
    }
}
