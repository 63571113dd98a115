using System.Numerics.Tensors;

namespace Lait.Engine.Kernels;

/// <summary>LayerNorm and softmax rows (TensorPrimitives underneath: vectorised, allocation-free).</summary>
public static class Normalization
{
    /// <summary>
    /// dst = LayerNorm(x + residual) * gamma + beta over one row, with the biased variance PyTorch uses.
    /// <paramref name="residual"/> may be empty (plain LayerNorm); dst may alias x or residual.
    /// </summary>
    public static void AddLayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> dst)
    {
        int n = gamma.Length;
        if (residual.IsEmpty)
        {
            x[..n].CopyTo(dst);
        }
        else
        {
            TensorPrimitives.Add(x[..n], residual[..n], dst[..n]);
        }

        Span<float> row = dst[..n];
        float mean = TensorPrimitives.Sum<float>(row) / n;
        TensorPrimitives.Subtract(row, mean, row);
        float variance = TensorPrimitives.SumOfSquares<float>(row) / n;
        float scale = 1f / MathF.Sqrt(variance + eps);
        TensorPrimitives.Multiply(row, scale, row);
        TensorPrimitives.FusedMultiplyAdd(row, gamma, beta, row);
    }

    /// <summary>
    /// Masked softmax of scale * row over its first <paramref name="valid"/> entries; the rest (masked keys) become 0.
    /// valid must be at least 1: a query always sees itself.
    /// </summary>
    public static void ScaledSoftmax(Span<float> row, float scale, int valid)
    {
        if (valid < 1 || valid > row.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(valid), valid, "Softmax needs 1..row.Length unmasked entries.");
        }

        Span<float> live = row[..valid];
        float max = TensorPrimitives.Max<float>(live);
        TensorPrimitives.Subtract(live, max, live);
        TensorPrimitives.Multiply(live, scale, live);
        TensorPrimitives.Exp(live, live);
        float sum = TensorPrimitives.Sum<float>(live);
        TensorPrimitives.Multiply(live, 1f / sum, live);
        row[valid..].Clear();
    }
}
