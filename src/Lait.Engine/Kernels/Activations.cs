using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Lait.Engine.Config;

namespace Lait.Engine.Kernels;

/// <summary>
/// Element-wise activations, in place. GELU is the exact erf form: x/2 (1 + erf(x / sqrt 2)).
/// .NET has no erf, so <see cref="Erf(double)"/> is ours: a degree-18 polynomial fit of erf on [0, 4]
/// in t = x/2 - 1 (Chebyshev fit converted to powers; max abs error 4.8e-9 on [0, 4]) and erf = 1
/// from 4 on (1 - erf(4) = 1.5e-8). <see cref="Erf(double)"/> evaluates it in double; the GELU kernels
/// evaluate it in float (<see cref="ErfFloat"/>), which is within 2e-7 of erf.
/// </summary>
public static class Activations
{
    /// <summary>Powers of t = u/2 - 1, constant term first; fitted with numpy chebfit on math.erf (4001 Chebyshev nodes).</summary>
    private static readonly double[] ErfPoly =
    [
        0.9953222683425176,
        0.041333984275029934,
        -0.16533655455600071,
        0.3857831035159005,
        -0.5510971612635469,
        0.41885741192289583,
        0.029101245710660417,
        -0.43250050328439876,
        0.40923712922919153,
        -0.025958692947821133,
        -0.2765070295734136,
        0.21450328086736686,
        0.038781248901141534,
        -0.13938890964598868,
        0.039248305376885,
        0.04311780435315664,
        -0.02294432175007249,
        -0.005747488547351727,
        0.004194864847728165,
    ];

    /// <summary>erf(x) with max abs error below 1e-7 (about 1.5e-8 at the clamp, 5e-9 elsewhere).</summary>
    public static double Erf(double x)
    {
        double u = Math.Abs(x);
        if (u >= 4.0)
        {
            return x < 0 ? -1.0 : 1.0;
        }

        double t = u * 0.5 - 1.0;
        double[] p = ErfPoly;
        double acc = p[^1];
        for (int i = p.Length - 2; i >= 0; i--)
        {
            acc = Math.FusedMultiplyAdd(acc, t, p[i]);
        }

        return x < 0 ? -acc : acc;
    }

    /// <summary>The same polynomial in float, for the GELU kernels: 16 lanes a vector instead of 8.</summary>
    private static readonly float[] ErfPolyF = Array.ConvertAll(ErfPoly, c => (float)c);

    /// <summary>
    /// erf(x) evaluated in float exactly as the vector GELU does (Horner with fused multiply-adds, so a
    /// value gives the same result in a vector lane and in the scalar tail). Max abs error 1.8e-7 (about
    /// 1.5 ulp at 1): float rounding in the Horner chain on top of the fit's 5e-9.
    /// </summary>
    public static float ErfFloat(float x)
    {
        float u = MathF.Min(MathF.Abs(x), 4f);
        float t = u * 0.5f - 1f;
        float[] p = ErfPolyF;
        float acc = p[^1];
        for (int i = p.Length - 2; i >= 0; i--)
        {
            acc = MathF.FusedMultiplyAdd(acc, t, p[i]);
        }

        acc = u >= 4f ? 1f : acc;
        return MathF.CopySign(acc, x);
    }

    /// <summary>Exact-erf GELU of one value, bit-identical to a lane of <see cref="Gelu(Span{float})"/>.</summary>
    public static float GeluScalar(float x) => x * 0.5f * (1f + ErfFloat(x * InvSqrt2F));

    private const float InvSqrt2F = 0.70710678118654752440f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply(Activation activation, Span<float> values)
    {
        switch (activation)
        {
            case Activation.Gelu:
                Gelu(values);
                break;
            case Activation.GeluTanh:
                GeluTanh(values);
                break;
            case Activation.Relu:
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = MathF.Max(values[i], 0f);
                }

                break;
            case Activation.Silu:
                for (int i = 0; i < values.Length; i++)
                {
                    float x = values[i];
                    values[i] = x / (1f + MathF.Exp(-x));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, null);
        }
    }

    /// <summary>
    /// Exact-erf GELU in place, evaluated in float (abs error below 1e-6 x max(1, |x|); PyTorch's own float
    /// erf is not exact either). It was evaluated in double until the GEMM got fast enough for GELU to be a
    /// tenth of a layer; float doubles the lanes and halves the work.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu(Span<float> values)
    {
        int i = 0;
        ref float start = ref values.Length == 0 ? ref Unsafe.NullRef<float>() : ref values[0];
        if (Vector512.IsHardwareAccelerated)
        {
            // Eight independent Horner chains a step: FMA latency 4 x 2 FMA units = 8 in flight keeps both units
            // busy (four chains in a helper taking refs measured half as fast: the JIT kept t on the stack).
            for (; i + 128 <= values.Length; i += 128)
            {
                Gelu8(ref Unsafe.Add(ref start, i));
            }

            for (; i + 16 <= values.Length; i += 16)
            {
                Gelu(Vector512.LoadUnsafe(ref start, (nuint)i)).StoreUnsafe(ref start, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= values.Length; i += 8)
            {
                Gelu(Vector256.LoadUnsafe(ref start, (nuint)i)).StoreUnsafe(ref start, (nuint)i);
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = GeluScalar(values[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gelu8(ref float x)
    {
        Vector512<float> t0 = ErfArgument(Vector512.LoadUnsafe(ref x, 0)), t1 = ErfArgument(Vector512.LoadUnsafe(ref x, 16));
        Vector512<float> t2 = ErfArgument(Vector512.LoadUnsafe(ref x, 32)), t3 = ErfArgument(Vector512.LoadUnsafe(ref x, 48));
        Vector512<float> t4 = ErfArgument(Vector512.LoadUnsafe(ref x, 64)), t5 = ErfArgument(Vector512.LoadUnsafe(ref x, 80));
        Vector512<float> t6 = ErfArgument(Vector512.LoadUnsafe(ref x, 96)), t7 = ErfArgument(Vector512.LoadUnsafe(ref x, 112));
        // Unrolled by hand: with a loop over the coefficients the JIT kept t0..t7 on the stack and reloaded
        // them every step (GELU 0.13 vs 0.077 ms per 128 x 1536 on one core). 18 steps = ErfPolyF.Length - 1.
        float[] p = ErfPolyF;
        Vector512<float> a0 = Vector512.Create(p[18]), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> c;
        c = Vector512.Create(p[17]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[16]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[15]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[14]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[13]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[12]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[11]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[10]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[9]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[8]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[7]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[6]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[5]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[4]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[3]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[2]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[1]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);
        c = Vector512.Create(p[0]);
        a0 = Fma(a0, t0, c); a1 = Fma(a1, t1, c); a2 = Fma(a2, t2, c); a3 = Fma(a3, t3, c);
        a4 = Fma(a4, t4, c); a5 = Fma(a5, t5, c); a6 = Fma(a6, t6, c); a7 = Fma(a7, t7, c);

        Finish(ref x, 0, a0);
        Finish(ref x, 16, a1);
        Finish(ref x, 32, a2);
        Finish(ref x, 48, a3);
        Finish(ref x, 64, a4);
        Finish(ref x, 80, a5);
        Finish(ref x, 96, a6);
        Finish(ref x, 112, a7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> t, Vector512<float> c) => Vector512.FusedMultiplyAdd(a, t, c);

    /// <summary>t = min(|x| / sqrt 2, 4) / 2 - 1, the polynomial's variable.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfArgument(Vector512<float> x) => ErfInput(x) * 0.5f - Vector512.Create(1f);

    /// <summary>u = min(|x| / sqrt 2, 4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ErfInput(Vector512<float> x) => Vector512.MinNative(Vector512.Abs(x) * InvSqrt2F, Vector512.Create(4f));

    /// <summary>Replaces the 16 values at x + offset by their GELU, given the erf polynomial evaluated for them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(ref float x, nuint offset, Vector512<float> erf)
    {
        Vector512<float> v = Vector512.LoadUnsafe(ref x, offset);
        FinishGelu(v, ErfInput(v), erf).StoreUnsafe(ref x, offset);
    }

    /// <summary>Saturates erf exactly (so GELU of a large negative x is 0, not a tiny residue), gives it x's sign (erf is odd), then x/2 (1 + erf).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> FinishGelu(Vector512<float> x, Vector512<float> u, Vector512<float> erf)
    {
        erf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, Vector512.Create(4f)), Vector512.Create(1f), erf);
        Vector512<float> signed = Vector512.ConditionalSelect(Vector512.Create(-0f), x, erf);
        return x * 0.5f * (Vector512.Create(1f) + signed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Gelu(Vector512<float> x)
    {
        Vector512<float> u = ErfInput(x);
        Vector512<float> t = u * 0.5f - Vector512.Create(1f);
        float[] p = ErfPolyF;
        Vector512<float> acc = Vector512.Create(p[^1]);
        for (int k = p.Length - 2; k >= 0; k--)
        {
            acc = Vector512.FusedMultiplyAdd(acc, t, Vector512.Create(p[k]));
        }

        return FinishGelu(x, u, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Gelu(Vector256<float> x)
    {
        Vector256<float> u = Vector256.MinNative(Vector256.Abs(x) * InvSqrt2F, Vector256.Create(4f));
        Vector256<float> t = u * 0.5f - Vector256.Create(1f);
        float[] p = ErfPolyF;
        Vector256<float> acc = Vector256.Create(p[^1]);
        for (int k = p.Length - 2; k >= 0; k--)
        {
            acc = Vector256.FusedMultiplyAdd(acc, t, Vector256.Create(p[k]));
        }

        acc = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, Vector256.Create(4f)), Vector256.Create(1f), acc);
        Vector256<float> signed = Vector256.ConditionalSelect(Vector256.Create(-0f), x, acc);
        return x * 0.5f * (Vector256.Create(1f) + signed);
    }

    /// <summary>The tanh approximation (gelu_new / gelu_pytorch_tanh).</summary>
    public static void GeluTanh(Span<float> values)
    {
        const double c = 0.7978845608028654; // sqrt(2/pi)
        for (int i = 0; i < values.Length; i++)
        {
            double x = values[i];
            values[i] = (float)(0.5 * x * (1.0 + Math.Tanh(c * (x + 0.044715 * x * x * x))));
        }
    }
}
