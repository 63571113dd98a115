namespace Lait.Engine.Kernels;

/// <summary>A matrix-multiply backend for linear layers: y[m x N] = x[m x K] W^T + b.</summary>
public abstract unsafe class GemmKernel
{
    public abstract GemmBackend Backend { get; }

    /// <summary>Prepares (packs) a weight once, at model load. <paramref name="weight"/> is [N x K] row-major.</summary>
    public abstract LinearWeight Prepare(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias);

    /// <summary>c[m x N] = a[m x K] W^T + b; a has row stride K, c has row stride N. Splits the work over the pool.</summary>
    public abstract void Linear(float* a, int m, LinearWeight weight, float* c, WorkerPool pool);

    /// <summary>Safe wrapper over <see cref="Linear(float*, int, LinearWeight, float*, WorkerPool)"/> for tests and one-off use.</summary>
    public void Linear(ReadOnlySpan<float> a, int m, LinearWeight weight, Span<float> c, WorkerPool pool)
    {
        if (a.Length < (long)m * weight.InFeatures || c.Length < (long)m * weight.OutFeatures)
        {
            throw new ArgumentException("Input or output span is smaller than m rows of the weight's shape.");
        }

        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            Linear(pa, m, weight, pc, pool);
        }
    }

    /// <summary>Creates the kernel for a backend; Auto picks the measured default for this CPU.</summary>
    public static GemmKernel Create(GemmBackend backend) => backend switch
    {
        GemmBackend.Auto => Create(DefaultBackend),
        GemmBackend.Avx512 => Avx512Gemm.IsSupported ? new Avx512Gemm() : throw new PlatformNotSupportedException("This CPU or runtime has no accelerated AVX-512 (Vector512)."),
        GemmBackend.Avx2 => Avx2Gemm.IsSupported ? new Avx2Gemm() : throw new PlatformNotSupportedException("This CPU has no AVX2 + FMA."),
        GemmBackend.Scalar => new ScalarGemm(),
        GemmBackend.OpenBlas => OpenBlasGemm.Create(),
        _ => throw new ArgumentOutOfRangeException(nameof(backend), backend, null),
    };

    /// <summary>
    /// Default chosen by measurement on the target machine (Zen 5, bench/README.md "Engine"): the managed
    /// AVX-512 kernel beat OpenBLAS 0.3.21 on this model's shapes, and needs no native library.
    /// </summary>
    public static GemmBackend DefaultBackend =>
        Avx512Gemm.IsSupported ? GemmBackend.Avx512 : Avx2Gemm.IsSupported ? GemmBackend.Avx2 : GemmBackend.Scalar;

    /// <summary>The best managed kernel on this CPU; attention always uses a managed kernel (its operands are packed on the fly).</summary>
    public static ManagedGemm BestManaged(GemmBackend requested) => requested switch
    {
        GemmBackend.Scalar => new ScalarGemm(),
        GemmBackend.Avx2 => new Avx2Gemm(),
        _ => Avx512Gemm.IsSupported ? new Avx512Gemm() : Avx2Gemm.IsSupported ? new Avx2Gemm() : new ScalarGemm(),
    };
}
