using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Lait.Engine.Config;

namespace Lait.Engine.Kernels;

/// <summary>
/// Element-wise activations, in place. GELU is the exact erf form: x/2 (1 + erf(x / sqrt 2)).
/// .NET has no erf, so <see cref="Erf(double)"/> is ours: a degree-18 polynomial fit of erf on [0, 4]
/// in t = x/2 - 1 (Chebyshev fit converted to powers; max abs error 4.8e-9 on [0, 4]) and erf = 1
/// from 4 on (1 - erf(4) = 1.5e-8). Evaluated in double, so the float result is correctly rounded or
/// within an ulp.
/// </summary>
public static class Activations
{
    private const double InvSqrt2 = 0.70710678118654752440;

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

    public static float GeluScalar(float x) => (float)(0.5 * x * (1.0 + Erf(x * InvSqrt2)));

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

    /// <summary>Exact-erf GELU in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gelu(Span<float> values)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float start = ref values.Length == 0 ? ref Unsafe.NullRef<float>() : ref values[0];
            // Four float vectors (eight double chains) per step: the Horner chain is latency-bound
            // (FMA latency 4 x 2 ports), so eight independent chains keep both FMA units busy. Rows are
            // multiples of 64 wide in practice; the rest goes 16 at a time, then scalar.
            for (; i + 64 <= values.Length; i += 64)
            {
                (Vector512<double> a, Vector512<double> b) = Vector512.Widen(Vector512.LoadUnsafe(ref start, (nuint)i));
                (Vector512<double> c, Vector512<double> d) = Vector512.Widen(Vector512.LoadUnsafe(ref start, (nuint)(i + 16)));
                (Vector512<double> e, Vector512<double> f) = Vector512.Widen(Vector512.LoadUnsafe(ref start, (nuint)(i + 32)));
                (Vector512<double> g, Vector512<double> h) = Vector512.Widen(Vector512.LoadUnsafe(ref start, (nuint)(i + 48)));
                Gelu8(ref a, ref b, ref c, ref d, ref e, ref f, ref g, ref h);
                Vector512.Narrow(a, b).StoreUnsafe(ref start, (nuint)i);
                Vector512.Narrow(c, d).StoreUnsafe(ref start, (nuint)(i + 16));
                Vector512.Narrow(e, f).StoreUnsafe(ref start, (nuint)(i + 32));
                Vector512.Narrow(g, h).StoreUnsafe(ref start, (nuint)(i + 48));
            }

            for (; i + 16 <= values.Length; i += 16)
            {
                Vector512<float> x = Vector512.LoadUnsafe(ref start, (nuint)i);
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(x);
                Vector512.Narrow(Gelu(lo), Gelu(hi)).StoreUnsafe(ref start, (nuint)i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            ref float start = ref values.Length == 0 ? ref Unsafe.NullRef<float>() : ref values[0];
            for (; i + 8 <= values.Length; i += 8)
            {
                Vector256<float> x = Vector256.LoadUnsafe(ref start, (nuint)i);
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(x);
                Vector256.Narrow(Gelu(lo), Gelu(hi)).StoreUnsafe(ref start, (nuint)i);
            }
        }

        for (; i < values.Length; i++)
        {
            values[i] = GeluScalar(values[i]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Gelu8(ref Vector512<double> x0, ref Vector512<double> x1, ref Vector512<double> x2, ref Vector512<double> x3,
        ref Vector512<double> x4, ref Vector512<double> x5, ref Vector512<double> x6, ref Vector512<double> x7)
    {
        Vector512<double> four = Vector512.Create(4.0);
        Vector512<double> one = Vector512.Create(1.0);
        Vector512<double> u0 = Vector512.Min(Vector512.Abs(x0) * InvSqrt2, four), u1 = Vector512.Min(Vector512.Abs(x1) * InvSqrt2, four);
        Vector512<double> u2 = Vector512.Min(Vector512.Abs(x2) * InvSqrt2, four), u3 = Vector512.Min(Vector512.Abs(x3) * InvSqrt2, four);
        Vector512<double> u4 = Vector512.Min(Vector512.Abs(x4) * InvSqrt2, four), u5 = Vector512.Min(Vector512.Abs(x5) * InvSqrt2, four);
        Vector512<double> u6 = Vector512.Min(Vector512.Abs(x6) * InvSqrt2, four), u7 = Vector512.Min(Vector512.Abs(x7) * InvSqrt2, four);
        Vector512<double> t0 = u0 * 0.5 - one, t1 = u1 * 0.5 - one, t2 = u2 * 0.5 - one, t3 = u3 * 0.5 - one;
        Vector512<double> t4 = u4 * 0.5 - one, t5 = u5 * 0.5 - one, t6 = u6 * 0.5 - one, t7 = u7 * 0.5 - one;
        double[] p = ErfPoly;
        Vector512<double> top = Vector512.Create(p[^1]);
        Vector512<double> a0 = top, a1 = top, a2 = top, a3 = top, a4 = top, a5 = top, a6 = top, a7 = top;
        for (int k = p.Length - 2; k >= 0; k--)
        {
            Vector512<double> c = Vector512.Create(p[k]);
            a0 = Vector512.FusedMultiplyAdd(a0, t0, c);
            a1 = Vector512.FusedMultiplyAdd(a1, t1, c);
            a2 = Vector512.FusedMultiplyAdd(a2, t2, c);
            a3 = Vector512.FusedMultiplyAdd(a3, t3, c);
            a4 = Vector512.FusedMultiplyAdd(a4, t4, c);
            a5 = Vector512.FusedMultiplyAdd(a5, t5, c);
            a6 = Vector512.FusedMultiplyAdd(a6, t6, c);
            a7 = Vector512.FusedMultiplyAdd(a7, t7, c);
        }

        x0 = FinishGelu(x0, u0, a0);
        x1 = FinishGelu(x1, u1, a1);
        x2 = FinishGelu(x2, u2, a2);
        x3 = FinishGelu(x3, u3, a3);
        x4 = FinishGelu(x4, u4, a4);
        x5 = FinishGelu(x5, u5, a5);
        x6 = FinishGelu(x6, u6, a6);
        x7 = FinishGelu(x7, u7, a7);
    }

    /// <summary>Saturates erf exactly (so GELU of a large negative x is 0, not a tiny residue), gives it x's sign (erf is odd), then x/2 (1 + erf).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> FinishGelu(Vector512<double> x, Vector512<double> u, Vector512<double> erf)
    {
        erf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(u, Vector512.Create(4.0)), Vector512.Create(1.0), erf);
        Vector512<double> signed = Vector512.ConditionalSelect(Vector512.Create(-0.0), x, erf);
        return x * 0.5 * (Vector512.Create(1.0) + signed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Gelu(Vector512<double> x)
    {
        Vector512<double> u = Vector512.Min(Vector512.Abs(x) * InvSqrt2, Vector512.Create(4.0));
        Vector512<double> t = u * 0.5 - Vector512.Create(1.0);
        double[] p = ErfPoly;
        Vector512<double> acc = Vector512.Create(p[^1]);
        for (int k = p.Length - 2; k >= 0; k--)
        {
            acc = Vector512.FusedMultiplyAdd(acc, t, Vector512.Create(p[k]));
        }

        return FinishGelu(x, u, acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<double> Gelu(Vector256<double> x)
    {
        Vector256<double> u = Vector256.Min(Vector256.Abs(x) * InvSqrt2, Vector256.Create(4.0));
        Vector256<double> t = u * 0.5 - Vector256.Create(1.0);
        double[] p = ErfPoly;
        Vector256<double> acc = Vector256.Create(p[^1]);
        for (int k = p.Length - 2; k >= 0; k--)
        {
            acc = Vector256.FusedMultiplyAdd(acc, t, Vector256.Create(p[k]));
        }

        acc = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, Vector256.Create(4.0)), Vector256.Create(1.0), acc);
        Vector256<double> signed = Vector256.ConditionalSelect(Vector256.Create(-0.0), x, acc);
        return x * 0.5 * (Vector256.Create(1.0) + signed);
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
