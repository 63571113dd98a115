using System.Numerics.Tensors;

namespace Lait.Engine.Heads;

internal static class HeadMath
{
    /// <summary>y = W x + b for W [out x in] row-major (heads act on one or a few vectors, so a dot per output is enough).</summary>
    public static float[] MatVec(float[] weight, float[] bias, ReadOnlySpan<float> x, int outputs)
    {
        int n = x.Length;
        var y = new float[outputs];
        for (int j = 0; j < outputs; j++)
        {
            y[j] = bias[j] + TensorPrimitives.Dot(weight.AsSpan(j * n, n), x);
        }

        return y;
    }

    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var p = new float[logits.Length];
        if (p.Length > 0)
        {
            TensorPrimitives.SoftMax(logits, p);
        }

        return p;
    }
}
