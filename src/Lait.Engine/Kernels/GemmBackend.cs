namespace Lait.Engine.Kernels;

/// <summary>Which matrix-multiply implementation the linear layers use.</summary>
public enum GemmBackend
{
    /// <summary>The measured default: the managed AVX-512 kernel where the CPU has it (see bench/README.md), else AVX2, else scalar.</summary>
    Auto,

    /// <summary>Managed Vector512 micro-kernel, 8x32 register tile, weights packed at load.</summary>
    Avx512,

    /// <summary>Managed Vector256 micro-kernel, 6x16 register tile.</summary>
    Avx2,

    /// <summary>Portable plain-float fallback (same packing and blocking, no SIMD intrinsics).</summary>
    Scalar,

    /// <summary>cblas_sgemm from libopenblas.so.0 through P/Invoke, when installed.</summary>
    OpenBlas,
}
