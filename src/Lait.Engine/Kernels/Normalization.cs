using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lait.Engine.Kernels;

/// <summary>LayerNorm and softmax rows (TensorPrimitives underneath: vectorised, allocation-free).</summary>
public static class Normalization
{
    /// <summary>
    /// dst = LayerNorm(x + residual) * gamma + beta over one row, with the biased variance PyTorch uses.
    /// <paramref name="residual"/> may be empty (plain LayerNorm); dst may alias x or residual.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddLayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> dst)
    {
        int n = gamma.Length;
        if (x.Length < n || dst.Length < n || beta.Length < n || (!residual.IsEmpty && residual.Length < n))
        {
            throw new ArgumentException("LayerNorm spans are shorter than gamma.");
        }

        if (Vector512.IsHardwareAccelerated && n % 16 == 0)
        {
            AddLayerNorm512(x, residual, gamma, beta, eps, dst, n);
            return;
        }

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
    /// Three passes over one row held in L1 (sum, centred sum of squares, normalise): the two-pass
    /// variance avoids E[x^2] - E[x]^2 cancellation. Written out because the encoder calls it per token,
    /// where a chain of library calls costs more in call overhead than in arithmetic.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddLayerNorm512(ReadOnlySpan<float> x, ReadOnlySpan<float> residual, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, float eps, Span<float> dst, int n)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ds = ref MemoryMarshal.GetReference(dst);
        Vector512<float> sum = Vector512<float>.Zero;
        if (residual.IsEmpty)
        {
            for (int i = 0; i < n; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xs, (nuint)i);
                v.StoreUnsafe(ref ds, (nuint)i);
                sum += v;
            }
        }
        else
        {
            ref float rs = ref MemoryMarshal.GetReference(residual);
            for (int i = 0; i < n; i += 16)
            {
                Vector512<float> v = Vector512.LoadUnsafe(ref xs, (nuint)i) + Vector512.LoadUnsafe(ref rs, (nuint)i);
                v.StoreUnsafe(ref ds, (nuint)i);
                sum += v;
            }
        }

        Vector512<float> mean = Vector512.Create(Vector512.Sum(sum) / n);
        Vector512<float> squares = Vector512<float>.Zero;
        for (int i = 0; i < n; i += 16)
        {
            Vector512<float> d = Vector512.LoadUnsafe(ref ds, (nuint)i) - mean;
            squares = Vector512.FusedMultiplyAdd(d, d, squares);
        }

        Vector512<float> scale = Vector512.Create(1f / MathF.Sqrt(Vector512.Sum(squares) / n + eps));
        ref float gs = ref MemoryMarshal.GetReference(gamma);
        ref float bs = ref MemoryMarshal.GetReference(beta);
        for (int i = 0; i < n; i += 16)
        {
            Vector512<float> d = (Vector512.LoadUnsafe(ref ds, (nuint)i) - mean) * scale;
            Vector512.FusedMultiplyAdd(d, Vector512.LoadUnsafe(ref gs, (nuint)i), Vector512.LoadUnsafe(ref bs, (nuint)i)).StoreUnsafe(ref ds, (nuint)i);
        }
    }

    /// <summary>
    /// Masked softmax of scale * row over its first <paramref name="valid"/> entries; the rest (masked keys) become 0.
    /// valid must be at least 1: a query always sees itself.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaledSoftmax(Span<float> row, float scale, int valid)
    {
        if (valid < 1 || valid > row.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(valid), valid, "Softmax needs 1..row.Length unmasked entries.");
        }

        Span<float> live = row[..valid];
        if (Vector512.IsHardwareAccelerated && valid >= 16)
        {
            // Max, fused exp + sum, normalise: three passes instead of six library calls. Attention calls
            // this per query row, so per-call overhead matters as much as the arithmetic.
            float max = Max512(live);
            float sum = ExpAndSum512(live, scale, -max * scale);
            Scale512(live, 1f / sum);
        }
        else
        {
            float max = TensorPrimitives.Max<float>(live);
            TensorPrimitives.Subtract(live, max, live);
            TensorPrimitives.Multiply(live, scale, live);
            TensorPrimitives.Exp(live, live);
            float sum = TensorPrimitives.Sum<float>(live);
            TensorPrimitives.Multiply(live, 1f / sum, live);
        }

        row[valid..].Clear();
    }

    /// <summary>
    /// <see cref="ScaledSoftmax"/> of each of <paramref name="rows"/> full rows of <paramref name="n"/> values,
    /// stored one after the other (attention's scores).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScaledSoftmaxRows(Span<float> scores, int rows, int n, float scale)
    {
        if (n < 1 || (long)rows * n > scores.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, $"Softmax of {rows} rows of {n} needs n >= 1 and that many scores.");
        }

        int r = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            // Four rows a step, each pass over all four before the next: a row alone is a chain of
            // dependent passes (max -> exp and sum -> scale) with a horizontal reduction between each, and
            // the core sat waiting on those reductions (softmax of 128 x 128: 7.5 -> 6.5 us).
            for (; r + 4 <= rows; r += 4)
            {
                Span<float> a = scores.Slice(r * n, n), b = scores.Slice((r + 1) * n, n);
                Span<float> c = scores.Slice((r + 2) * n, n), d = scores.Slice((r + 3) * n, n);
                float ma = Max512(a), mb = Max512(b), mc = Max512(c), md = Max512(d);
                float sa = ExpAndSum512(a, scale, -ma * scale), sb = ExpAndSum512(b, scale, -mb * scale);
                float sc = ExpAndSum512(c, scale, -mc * scale), sd = ExpAndSum512(d, scale, -md * scale);
                Scale512(a, 1f / sa);
                Scale512(b, 1f / sb);
                Scale512(c, 1f / sc);
                Scale512(d, 1f / sd);
            }
        }

        for (; r < rows; r++)
        {
            ScaledSoftmax(scores.Slice(r * n, n), scale, n);
        }
    }

    /// <summary>Row maximum; the last (possibly overlapping) vector covers the tail. Needs row.Length >= 16.</summary>
    /// <remarks>
    /// MaxNative (one vmaxps) rather than Max: the latter implements IEEE maximum (NaN and -0 rules) as
    /// vrangeps + two vfixupimmps, a 3-instruction chain per step that made softmax's max pass slower than
    /// its exp pass (softmax of 128 x 128: 10.2 -> 7.3 us). Scores are finite here.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Max512(Span<float> row)
    {
        ref float start = ref row[0];
        Vector512<float> m = Vector512.LoadUnsafe(ref start, (nuint)(row.Length - 16));
        for (int i = 0; i + 16 <= row.Length; i += 16)
        {
            m = Vector512.MaxNative(m, Vector512.LoadUnsafe(ref start, (nuint)i));
        }

        Vector256<float> h = Vector256.MaxNative(m.GetLower(), m.GetUpper());
        Vector128<float> q = Vector128.MaxNative(h.GetLower(), h.GetUpper());
        q = Vector128.MaxNative(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        q = Vector128.MaxNative(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2)));
        return q.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scale512(Span<float> row, float factor)
    {
        ref float start = ref row[0];
        Vector512<float> f = Vector512.Create(factor);
        int i = 0;
        for (; i + 16 <= row.Length; i += 16)
        {
            (Vector512.LoadUnsafe(ref start, (nuint)i) * f).StoreUnsafe(ref start, (nuint)i);
        }

        for (; i < row.Length; i++)
        {
            row[i] *= factor;
        }
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
    /// by vscalefps. Results below e^-87 flush to 0, so no denormal reaches the next GEMM.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> x)
    {
        // The clamp keeps k and r finite for any input (x = -1e30 would give a garbage r); the flush below
        // discards those lanes anyway. RoundScale(0) rounds to nearest even; Scale handles the exponent
        // without the integer add/shift/multiply a hand-built 2^k needs.
        Vector512<float> clamped = Vector512.MaxNative(x, Vector512.Create(-88f));
        Vector512<float> k = Avx512F.RoundScale(clamped * Vector512.Create(1.44269504088896341f), 0);
        Vector512<float> r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-0.693145751953125f), clamped);
        r = Vector512.FusedMultiplyAdd(k, Vector512.Create(-1.428606765330187045e-06f), r);
        Vector512<float> p = Vector512.Create(1f / 720f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1f));
        Vector512<float> result = Avx512F.Scale(p, k);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(-87f)), Vector512<float>.Zero, result);
    }
}
