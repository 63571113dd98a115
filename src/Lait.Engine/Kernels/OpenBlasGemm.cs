using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Lait.Engine.Kernels;

/// <summary>
/// cblas_sgemm from OpenBLAS (Debian libopenblas0-pthread: libopenblas.so.0) through a function pointer.
/// OpenBLAS runs its own threads; the worker pool is not used for these calls.
/// </summary>
public sealed unsafe class OpenBlasGemm : GemmKernel
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;
    private const string LibraryName = "libopenblas.so.0";

    private static readonly object s_loadLock = new();
    private static nint s_library;
    private static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static delegate* unmanaged<int, void> s_setThreads;
    private static delegate* unmanaged<sbyte*> s_coreName;

    private OpenBlasGemm()
    {
    }

    public override GemmBackend Backend => GemmBackend.OpenBlas;

    /// <summary>True when libopenblas.so.0 can be loaded on this machine.</summary>
    public static bool IsAvailable => TryLoad(out _);

    /// <summary>Sets OpenBLAS's own thread count (its pool is process-wide).</summary>
    public static void SetThreads(int threads)
    {
        if (TryLoad(out _) && s_setThreads != null)
        {
            s_setThreads(threads);
        }
    }

    /// <summary>The kernel family OpenBLAS runs (openblas_get_corename, e.g. "SkylakeX"), or null when unavailable.</summary>
    public static string? CoreName => TryLoad(out _) && s_coreName != null ? new string(s_coreName()) : null;

    internal static OpenBlasGemm Create()
    {
        if (!TryLoad(out string? error))
        {
            throw new PlatformNotSupportedException($"OpenBLAS backend unavailable: {error} Install it (Debian: apt-get install libopenblas0-pthread) or use another GEMM backend.");
        }

        return new OpenBlasGemm();
    }

    private static bool TryLoad(out string? error)
    {
        lock (s_loadLock)
        {
            error = null;
            if (s_sgemm != null)
            {
                return true;
            }

            // OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded. Neither the machines' exported value
            // (Haswell: half speed on Zen 5) nor OpenBLAS 0.3.21's own detection (it does not know newer Xeons
            // and falls back to Prescott, a quarter of the speed) can be trusted, so name the kernel family from
            // the CPU's features ourselves (DESIGN.md §5, bench/README.md).
            if (OperatingSystem.IsLinux())
            {
                NativeEnvironment.Set("OPENBLAS_CORETYPE", CoreTypeForThisCpu());
            }

            if (!NativeLibrary.TryLoad(LibraryName, out s_library))
            {
                error = $"{LibraryName} could not be loaded.";
                return false;
            }

            if (!NativeLibrary.TryGetExport(s_library, "cblas_sgemm", out nint sgemm))
            {
                error = $"{LibraryName} has no cblas_sgemm export.";
                return false;
            }

            if (NativeLibrary.TryGetExport(s_library, "openblas_get_corename", out nint coreName))
            {
                s_coreName = (delegate* unmanaged<sbyte*>)coreName;
            }

            if (NativeLibrary.TryGetExport(s_library, "openblas_set_num_threads", out nint setThreads))
            {
                s_setThreads = (delegate* unmanaged<int, void>)setThreads;
            }

            s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            return true;
        }
    }

    public override LinearWeight Prepare(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias)
    {
        if (weight.Length != outFeatures * inFeatures)
        {
            throw new ArgumentException($"Weight has {weight.Length} values, expected {outFeatures} x {inFeatures}.");
        }

        float[] data = GC.AllocateArray<float>(weight.Length, pinned: true);
        weight.CopyTo(data);
        return new LinearWeight(outFeatures, inFeatures, 0, data, ManagedGemm.PadBias(bias, outFeatures, outFeatures));
    }

    public override void Linear(float* a, int m, LinearWeight weight, float* c, WorkerPool pool)
    {
        if (weight.PanelWidth != 0)
        {
            throw new ArgumentException("Weight was packed for a managed kernel, not prepared for OpenBLAS.");
        }

        if (m == 0)
        {
            return;
        }

        int n = weight.OutFeatures;
        int k = weight.InFeatures;
        fixed (float* w = weight.Data)
        fixed (float* bias = weight.Bias)
        {
            // Seed C with the bias rows and let sgemm accumulate onto them (beta = 1).
            var biasRow = new ReadOnlySpan<float>(bias, n);
            for (int i = 0; i < m; i++)
            {
                biasRow.CopyTo(new Span<float>(c + (long)i * n, n));
            }

            s_sgemm(RowMajor, NoTrans, Trans, m, n, k, 1f, a, k, w, k, 1f, c, n);
        }
    }

    /// <summary>
    /// The OpenBLAS kernel family for this CPU: SkylakeX (AVX-512 kernels) when AVX-512 F/BW/DQ/VL/CD are
    /// present, Haswell (AVX2 + FMA) otherwise, or null to leave the choice to OpenBLAS.
    /// </summary>
    internal static string? CoreTypeForThisCpu()
    {
        if (Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported && Avx512CD.IsSupported)
        {
            return "SkylakeX";
        }

        return Avx2.IsSupported && Fma.IsSupported ? "Haswell" : null;
    }

    private static class NativeEnvironment
    {
        [DllImport("libc", EntryPoint = "setenv")]
        private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

        [DllImport("libc", EntryPoint = "unsetenv")]
        private static extern int UnsetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

        /// <summary>Sets (or, for null, removes) a variable in the native environment that a native library will read.</summary>
        public static void Set(string name, string? value)
        {
            _ = value is null ? UnsetEnv(name) : SetEnv(name, value, 1);
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}
