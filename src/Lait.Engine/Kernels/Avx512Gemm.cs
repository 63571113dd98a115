using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lait.Engine.Kernels;

/// <summary>
/// AVX-512 micro-kernel: an 8 x 32 tile of C lives in 16 zmm accumulators; per k step it loads two
/// vectors of packed B and broadcasts eight A values (16 FMAs per 2 loads + 8 broadcasts).
/// </summary>
public sealed unsafe class Avx512Gemm : ManagedGemm
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated && Avx512F.IsSupported;

    public override GemmBackend Backend => GemmBackend.Avx512;

    public override int TileRows => 8;

    public override int PanelWidth => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Tile(float* a, int lda, int rows, float* b, int kc, float* c, int ldc, bool accumulate, float* bias)
    {
        float* a0 = a;
        float* a1 = rows > 1 ? a + lda : a;
        float* a2 = rows > 2 ? a + 2 * lda : a;
        float* a3 = rows > 3 ? a + 3 * lda : a;
        float* a4 = rows > 4 ? a + 4 * lda : a;
        float* a5 = rows > 5 ? a + 5 * lda : a;
        float* a6 = rows > 6 ? a + 6 * lda : a;
        float* a7 = rows > 7 ? a + 7 * lda : a;

        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        if (accumulate)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
            c60 = Vector512.Load(c + 6 * ldc); c61 = Vector512.Load(c + 6 * ldc + 16);
            c70 = Vector512.Load(c + 7 * ldc); c71 = Vector512.Load(c + 7 * ldc + 16);
        }
        else
        {
            Vector512<float> z0 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias);
            Vector512<float> z1 = bias == null ? Vector512<float>.Zero : Vector512.Load(bias + 16);
            c00 = z0; c01 = z1; c10 = z0; c11 = z1; c20 = z0; c21 = z1; c30 = z0; c31 = z1;
            c40 = z0; c41 = z1; c50 = z0; c51 = z1; c60 = z0; c61 = z1; c70 = z0; c71 = z1;
        }

        for (int k = 0; k < kc; k++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            b += 32;
            Vector512<float> x = Vector512.Create(a0[k]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[k]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[k]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[k]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[k]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[k]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[k]);
            c60 = Avx512F.FusedMultiplyAdd(x, b0, c60); c61 = Avx512F.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[k]);
            c70 = Avx512F.FusedMultiplyAdd(x, b0, c70); c71 = Avx512F.FusedMultiplyAdd(x, b1, c71);
        }

        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
        c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
    }
}
