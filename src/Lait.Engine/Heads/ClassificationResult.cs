namespace Lait.Engine.Heads;

/// <summary>Sequence classification output: raw logits, softmax probabilities and label names (id2label order).</summary>
public sealed class ClassificationResult
{
    internal ClassificationResult(float[] logits, float[] probabilities, IReadOnlyList<string> labels)
    {
        Logits = logits;
        Probabilities = probabilities;
        Labels = labels;
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
        {
            if (logits[i] > logits[best])
            {
                best = i;
            }
        }

        PredictedIndex = best;
    }

    public float[] Logits { get; }

    public float[] Probabilities { get; }

    public IReadOnlyList<string> Labels { get; }

    public int PredictedIndex { get; }

    public string PredictedLabel => Labels[PredictedIndex];
}
