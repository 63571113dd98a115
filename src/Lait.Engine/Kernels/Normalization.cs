using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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
        float sum;
        if (Vector512.IsHardwareAccelerated && valid >= 16)
        {
            // One fused pass (exp + sum) instead of four library calls: attention calls this per query row,
            // so per-call overhead matters as much as the arithmetic.
            sum = ExpAndSum512(live, scale, -max * scale);
        }
        else
        {
            TensorPrimitives.Subtract(live, max, live);
            TensorPrimitives.Multiply(live, scale, live);
            TensorPrimitives.Exp(live, live);
            sum = TensorPrimitives.Sum<float>(live);
        }

        TensorPrimitives.Multiply(live, 1f / sum, live);
        row[valid..].Clear();
    }

    /// <summary>row[i] = exp(row[i] * scale + shift) (arguments &lt;= 0 here), returns the sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ExpAndSum512(Span<float> row, float scale, float shift)
    {
        ref float start = ref row[0];
        int n = row.Length;
        Vector512<float> vScale = Vector512.Create(scale);
        Vector512<float> vShift = Vector512.Create(shift);
        Vector512<float> acc = Vector512<float>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            Vector512<float> e = Exp(Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref start, (nuint)i), vScale, vShift));
            e.StoreUnsafe(ref start, (nuint)i);
            acc += e;
        }

        float sum = Vector512.Sum(acc);
        for (; i < n; i++)
        {
            float e = MathF.Exp(MathF.FusedMultiplyAdd(row[i], scale, shift));
            row[i] = e;
            sum += e;
        }

        return sum;
    }

    /// <summary>
    /// exp for x &lt;= ~0 (softmax after max subtraction): x = k ln2 + r with |r| &lt;= ln2/2 (ln2 split in two
    /// for an exact reduction), exp(r) by its degree-6 Taylor polynomial (relative error &lt; 2e-7), times 2^k
    /// built in the exponent bits. Results below e^-87 flush to 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> clamped = Vector512.Max(x, Vector512.Create(-87f));
        Vector512<float> k = Vector512.Round(clamped * 1.44269504088896341f);
        Vector512<float> r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-0.693145751953125f), clamped);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-1.428606765330187045e-06f), r);
        Vector512<float> p = Vector512.Create(1f / 720f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        Vector512<int> bits = (Vector512.ConvertToInt32(k) + Vector512.Create(127)) << 23;
        Vector512<float> result = p * bits.AsSingle();
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87f)), Vector512<float>.Zero, result);
    }
}
