using Xunit;
using Lait.Engine.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Kernels;

public class GemmTests : IDisposable
{
    private readonly WorkerPool _pool = new(2);

    public static TheoryData<GemmBackend> ManagedBackends()
    {
        var data = new TheoryData<GemmBackend> { GemmBackend.Scalar };
        if (Avx2Gemm.IsSupported)
        {
            data.Add(GemmBackend.Avx2);
        }

        if (Avx512Gemm.IsSupported)
        {
            data.Add(GemmBackend.Avx512);
        }

        return data;
    }

    // Shapes straddle tile (8/6/4 rows), panel (32/16/8 columns) and K-block (384) edges.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 32, 384), (5, 40, 385), (3, 64, 768), (7, 33, 5), (8, 32, 256), (9, 31, 257), (65, 100, 300), (130, 129, 520), (17, 1152, 64),
        (600, 70, 40), // several row blocks (of up to 256 rows)
    ];

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public void ManagedKernel_MatchesDoubleReference_OnEdgeShapes(GemmBackend backend)
    {
        CheckAllShapes(GemmKernel.Create(backend));
    }

    [OpenBlasFact]
    public void OpenBlas_MatchesDoubleReference_OnEdgeShapes()
    {
        CheckAllShapes(GemmKernel.Create(GemmBackend.OpenBlas));
    }

    [OpenBlasFact]
    public void OpenBlas_RunsTheKernelFamilyChosenForThisCpu()
    {
        // OpenBLAS 0.3.21's own detection picked Prescott (a quarter of the speed) on a newer Xeon.
        GemmKernel.Create(GemmBackend.OpenBlas);
        string? expected = OpenBlasGemm.CoreTypeForThisCpu();
        Assert.NotNull(OpenBlasGemm.CoreName);
        if (expected is not null)
        {
            Assert.Equal(expected, OpenBlasGemm.CoreName, StringComparer.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void AutoBackend_IsTheManagedDefaultForThisCpu()
    {
        Assert.Equal(GemmKernel.DefaultBackend, GemmKernel.Create(GemmBackend.Auto).Backend);
        Assert.NotEqual(GemmBackend.OpenBlas, GemmKernel.DefaultBackend);
    }

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public unsafe void PackedMultiply_WithStridedOperands_MatchesReference(GemmBackend backend)
    {
        // The attention path: A with a row stride wider than K, B packed from a [k x n] row-major block.
        var gemm = (ManagedGemm)GemmKernel.Create(backend);
        int m = 13, k = 37, n = 45, lda = 50, ldb = 60, ldc = 70;
        float[] a = Reference.Random(m * lda, 1);
        float[] b = Reference.Random(k * ldb, 2);
        var c = new float[m * ldc];
        var packed = new float[gemm.PackedSize(k, n)];
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pp = packed)
        {
            gemm.Pack(pb, ldb, k, n, pp);
            gemm.Multiply(pa, lda, 0, m, pp, k, n, 0, (n + gemm.PanelWidth - 1) / gemm.PanelWidth, null, pc, ldc);
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int kk = 0; kk < k; kk++)
                {
                    s += (double)a[i * lda + kk] * b[kk * ldb + j];
                }

                Assert.True(Math.Abs(s - c[i * ldc + j]) < 1e-4, $"c[{i},{j}] = {c[i * ldc + j]}, expected {s}");
            }

            for (int j = n; j < ldc; j++)
            {
                Assert.Equal(0f, c[i * ldc + j]); // nothing written past the n columns
            }
        }
    }

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public unsafe void PackTransposed_WithARowStride_PutsEachColumnInItsPanelSlot_AndZeroPadsTheLastPanel(GemmBackend backend)
    {
        // Attention packs K_h (rows of stride 3H) this way; full panels go through gathers, the last one does not.
        var gemm = (ManagedGemm)GemmKernel.Create(backend);
        int pw = gemm.PanelWidth, k = 21, ld = 50, n = 2 * pw + 5;
        float[] w = Reference.Random(n * ld, 8);
        var packed = new float[gemm.PackedSize(k, n)];
        Array.Fill(packed, float.NaN);
        fixed (float* pw0 = w)
        fixed (float* pp = packed)
        {
            gemm.PackTransposed(pw0, ld, k, n, pp, pw);
        }

        for (int col = 0; col < (n + pw - 1) / pw * pw; col++)
        {
            for (int kk = 0; kk < k; kk++)
            {
                float expected = col < n ? w[col * ld + kk] : 0f;
                Assert.Equal(expected, packed[col / pw * k * pw + kk * pw + col % pw]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public unsafe void SplitKPartials_SumToTheFullProduct_WithTheBiasInTheFirst(GemmBackend backend)
    {
        var gemm = (ManagedGemm)GemmKernel.Create(backend);
        foreach (var (m, n, k, splits) in new[] { (37, 70, 520, 2), (9, 33, 1536, 2), (20, 40, 400, 3) })
        {
            float[] a = Reference.Random(m * k, 21);
            float[] w = Reference.Random(n * k, 22);
            float[] bias = Reference.Random(n, 23);
            LinearWeight prepared = gemm.Prepare(w, n, k, bias);
            var partials = new float[splits * m * n];
            fixed (float* pa = a)
            fixed (float* pc = partials)
            {
                gemm.LinearSplitK(pa, m, prepared, pc, splits, (long)m * n, _pool);
            }

            var sum = new float[m * n];
            for (int s = 0; s < splits; s++)
            {
                for (int i = 0; i < m * n; i++)
                {
                    sum[i] += partials[s * m * n + i];
                }
            }

            Reference.AssertClose(Reference.Linear(a, m, w, n, k, bias), sum, 1e-5 * Math.Sqrt(k) * 4, $"{gemm.Backend} {m}x{n}x{k} in {splits}");
        }
    }

    [Fact]
    public unsafe void SplitK_RejectsNoSplitsAndOverlappingPartials()
    {
        var gemm = (ManagedGemm)GemmKernel.Create(GemmBackend.Scalar);
        LinearWeight w = gemm.Prepare(new float[8 * 16], 8, 16, default);
        var c = new float[2 * 4 * 8];
        var a = new float[4 * 16];
        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            float* x = pa;
            float* y = pc;
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.LinearSplitK(x, 4, w, y, 0, 32, _pool));
            Assert.Throws<ArgumentOutOfRangeException>(() => gemm.LinearSplitK(x, 4, w, y, 2, 31, _pool)); // 4 x 8 outputs need 32
        }
    }

    [Fact]
    public void SplitK_IsUsedForSmallBatchesWithLongEnoughK_Only()
    {
        var gemm = (ManagedGemm)GemmKernel.Create(GemmBackend.Scalar);
        LinearWeight down = gemm.Prepare(new float[8 * 1536], 8, 1536, default);
        LinearWeight shortK = gemm.Prepare(new float[8 * 64], 8, 64, default);
        using var single = new WorkerPool(1);
        Assert.Equal(2, gemm.SplitKCount(128, down, _pool));
        Assert.Equal(1, gemm.SplitKCount(2048, down, _pool)); // row blocks already keep A local
        Assert.Equal(1, gemm.SplitKCount(128, shortK, _pool));
        Assert.Equal(1, gemm.SplitKCount(128, down, single));
    }

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public unsafe void PreparedWeight_StartsOnACacheLine(GemmBackend backend)
    {
        // Misaligned packed panels made every 64-byte B load straddle two cache lines (~10% slower GEMM on a Xeon).
        var gemm = GemmKernel.Create(backend);
        for (int n = 1; n <= 40; n += 13)
        {
            LinearWeight w = gemm.Prepare(Reference.Random(n * 24, n), n, 24, default);
            fixed (float* data = w.Data)
            {
                Assert.Equal(0L, (long)(data + w.Offset) % 64);
            }

            Assert.True(w.Data.Length - w.Offset >= w.Panels * w.PanelWidth * w.InFeatures, "the packed panels fit after the offset");
        }
    }

    [Fact]
    public unsafe void AlignedBuffer_StartsOnACacheLine_AndGrowsOnlyWhenAskedForMore()
    {
        var buffer = new AlignedBuffer();
        Assert.Equal(0, buffer.Length);
        buffer.EnsureCapacity(100);
        float* first = buffer.Pointer;
        Assert.Equal(0L, (long)first % 64);
        Assert.Equal(100, buffer.Length);
        buffer.AsSpan(0, 100).Fill(3f);
        Assert.Equal(3f, first[99]); // the span and the pointer see the same memory

        buffer.EnsureCapacity(50);
        Assert.True(buffer.Pointer == first, "a smaller request keeps the buffer");
        buffer.EnsureCapacity(1000);
        Assert.Equal(1000, buffer.Length);
        Assert.Equal(0L, (long)buffer.Pointer % 64);
    }

    [Theory]
    [MemberData(nameof(ManagedBackends))]
    public unsafe void PackedMultiply_WithNoRows_WritesNothing(GemmBackend backend)
    {
        var gemm = (ManagedGemm)GemmKernel.Create(backend);
        var packed = new float[gemm.PackedSize(8, 8)];
        var c = new float[8];
        fixed (float* pp = packed)
        fixed (float* pc = c)
        {
            gemm.Multiply(pc, 8, 3, 3, pp, 8, 8, 0, 1, null, pc, 8);
        }

        Assert.All(c, v => Assert.Equal(0f, v));
    }

    private void CheckAllShapes(GemmKernel gemm)
    {
        foreach (var (m, n, k) in Shapes)
        {
            float[] a = Reference.Random(m * k, m * 7 + k);
            float[] w = Reference.Random(n * k, n * 11 + k);
            float[] bias = Reference.Random(n, n);
            LinearWeight prepared = gemm.Prepare(w, n, k, bias);
            var c = new float[m * n];
            gemm.Linear(a, m, prepared, c, _pool);
            double[] expected = Reference.Linear(a, m, w, n, k, bias);
            // fp32 accumulation over k terms of magnitude <= 1.
            Reference.AssertClose(expected, c, 1e-5 * Math.Sqrt(k) * 4, $"{gemm.Backend} {m}x{n}x{k}");
        }
    }

    [Theory]
    [InlineData(36, 1, 2)] // 6 x 384 QKV at batch 1: 4 panels a task would leave one worker a ninth task
    [InlineData(12, 1, 2)]
    [InlineData(48, 1, 2)]
    [InlineData(96, 1, 2)]
    [InlineData(7, 1, 2)]
    [InlineData(36, 8, 2)]
    [InlineData(36, 1, 1)]
    [InlineData(1, 1, 4)]
    public void PanelGroups_CoverEveryPanel_AndSplitEvenlyAtBatchOneWhenPossible(int panels, int rowBlocks, int workers)
    {
        int size = ManagedGemm.PanelGroupSize(panels, rowBlocks, workers);
        Assert.InRange(size, 1, panels);
        int groups = (panels + size - 1) / size;
        Assert.True(groups * size >= panels && (groups - 1) * size < panels);
        bool evenSplitExists = Enumerable.Range(1, panels).Any(g => panels % g == 0 && panels / g * rowBlocks % workers == 0 && panels / g * rowBlocks <= 4 * workers * 2);
        if (rowBlocks == 1 && evenSplitExists && panels >= 2 * workers)
        {
            Assert.Equal(0, groups * rowBlocks % workers);
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        GC.SuppressFinalize(this);
    }
}
