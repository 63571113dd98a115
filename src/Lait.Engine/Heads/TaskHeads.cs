using Lait.Engine.Config;
using Lait.Engine.Kernels;
using Lait.Engine.Model;

namespace Lait.Engine.Heads;

/// <summary>The task heads of each architecture, applied to a joint sequence's final hidden states.</summary>
internal sealed class TaskHeads(EncoderConfig config, HeadWeights weights)
{
    private readonly IReadOnlyList<string> _labels = config.Labels.Count > 0
        ? config.Labels
        : Enumerable.Range(0, weights.Outputs).Select(i => $"LABEL_{i}").ToArray();

    public ClassificationResult Classify(JointOutput output)
    {
        if (config.Head != HeadKind.SequenceClassification)
        {
            throw new InvalidOperationException($"This model ({config.ArchitectureName}) has no sequence classification head.");
        }

        int h = config.HiddenSize;
        ReadOnlySpan<float> cls = output.Row(0);
        float[] x;
        switch (config.Architecture)
        {
            case EncoderArchitecture.Bert:
                x = HeadMath.MatVec(weights.PoolerWeight!, weights.PoolerBias!, cls, h);
                Tanh(x);
                break;
            case EncoderArchitecture.Roberta:
                x = HeadMath.MatVec(weights.DenseWeight!, weights.DenseBias!, cls, h);
                Tanh(x);
                break;
            case EncoderArchitecture.Electra:
                x = HeadMath.MatVec(weights.DenseWeight!, weights.DenseBias!, cls, h);
                Activations.Gelu(x); // ElectraClassificationHead uses exact GELU whatever hidden_act says
                break;
            default:
                x = HeadMath.MatVec(weights.DenseWeight!, weights.DenseBias!, cls, h);
                Activations.Apply(Activation.Relu, x);
                break;
        }

        float[] logits = HeadMath.MatVec(weights.OutWeight!, weights.OutBias!, x, weights.Outputs);
        return new ClassificationResult(logits, HeadMath.Softmax(logits), _labels);
    }

    public SpanLogits AnswerSpan(JointOutput output)
    {
        if (config.Head != HeadKind.QuestionAnswering)
        {
            throw new InvalidOperationException($"This model ({config.ArchitectureName}) has no question answering head.");
        }

        var start = new float[output.TokenCount];
        var end = new float[output.TokenCount];
        for (int t = 0; t < output.TokenCount; t++)
        {
            float[] pair = HeadMath.MatVec(weights.OutWeight!, weights.OutBias!, output.Row(t), 2);
            start[t] = pair[0];
            end[t] = pair[1];
        }

        return new SpanLogits(start, end);
    }

    public static float[] Pool(JointOutput output, PoolingMode mode)
    {
        int h = output.HiddenSize;
        var pooled = new float[h];
        if (mode == PoolingMode.Cls)
        {
            output.Row(0).CopyTo(pooled);
            return pooled;
        }

        // Sum in double: long sequences would otherwise lose low bits.
        var sum = new double[h];
        for (int t = 0; t < output.TokenCount; t++)
        {
            ReadOnlySpan<float> row = output.Row(t);
            for (int j = 0; j < h; j++)
            {
                sum[j] += row[j];
            }
        }

        for (int j = 0; j < h; j++)
        {
            pooled[j] = (float)(sum[j] / output.TokenCount);
        }

        return pooled;
    }

    private static void Tanh(float[] x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Tanh(x[i]);
        }
    }
}
