using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lait.Engine.Kernels;

/// <summary>AVX2 + FMA micro-kernel: a 6 x 16 tile in 12 ymm accumulators (of 16 registers).</summary>
public sealed unsafe class Avx2Gemm : ManagedGemm
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public override GemmBackend Backend => GemmBackend.Avx2;

    public override int TileRows => 6;

    public override int PanelWidth => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Tile(float* a, int lda, int rows, float* b, int kc, float* c, int ldc, bool accumulate, float* bias)
    {
        float* a0 = a;
        float* a1 = rows > 1 ? a + lda : a;
        float* a2 = rows > 2 ? a + 2 * lda : a;
        float* a3 = rows > 3 ? a + 3 * lda : a;
        float* a4 = rows > 4 ? a + 4 * lda : a;
        float* a5 = rows > 5 ? a + 5 * lda : a;

        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            Vector256<float> z0 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias);
            Vector256<float> z1 = bias == null ? Vector256<float>.Zero : Vector256.Load(bias + 8);
            c00 = z0; c01 = z1; c10 = z0; c11 = z1; c20 = z0; c21 = z1;
            c30 = z0; c31 = z1; c40 = z0; c41 = z1; c50 = z0; c51 = z1;
        }

        for (int k = 0; k < kc; k++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            b += 16;
            Vector256<float> x = Vector256.Create(a0[k]);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[k]);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[k]);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[k]);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[k]);
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[k]);
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
        }

        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }
}
