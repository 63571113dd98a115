using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lait.Engine.Kernels;

/// <summary>
/// Blocked GEMM over column-panel-packed B with a register-tiled micro-kernel supplied by the subclass.
/// Loop order: K blocks (so a kc x PW slice of B stays in L1) -> panels -> row tiles.
/// </summary>
public abstract unsafe class ManagedGemm : GemmKernel
{
    /// <summary>
    /// K block: 384 x 32 floats of B = 48 KiB (Zen 5's L1D), so a hidden-384 projection is one block and C is
    /// stored once. Measured against 256 (a 32 KiB slice): 5-15% faster 6x384 forward at batch 1 on two
    /// threads, no difference at batch 16 (interleaved runs, 2026-11-22).
    /// </summary>
    private const int KBlock = 384;

    /// <summary>
    /// Most rows per parallel task: a 256 x 256 slice of A (256 KiB) stays in Zen 5's 1 MiB L2 across the
    /// task's panels, and with M &lt;= 256 every panel of B is read from memory once.
    /// </summary>
    private const int MaxRowBlock = 256;

    [ThreadStatic]
    private static LinearJob? t_job;

    /// <summary>
    /// Whether a GEMM over <paramref name="m"/> rows is one row block split among the workers by columns
    /// (panels) only; larger ones are split by row blocks first.
    /// </summary>
    public static bool SplitsColumnsOnly(int m) => m <= MaxRowBlock;

    /// <summary>Shortest K range of a split-K partial product (one K block).</summary>
    private const int MinSplitK = KBlock / 2;

    /// <summary>Rows of the register tile.</summary>
    public abstract int TileRows { get; }

    /// <summary>Columns of the register tile = packed panel width.</summary>
    public abstract int PanelWidth { get; }

    /// <summary>
    /// One full register tile: c[TileRows x PanelWidth] (+)= a[rows x kc] * b[kc x PanelWidth].
    /// Rows at or beyond <paramref name="rows"/> repeat row 0 (computed, not stored by the caller).
    /// When not accumulating, c starts from bias (or zero when bias is null).
    /// </summary>
    protected abstract void Tile(float* a, int lda, int rows, float* b, int kc, float* c, int ldc, bool accumulate, float* bias);

    public override LinearWeight Prepare(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, ReadOnlySpan<float> bias)
    {
        if (weight.Length != outFeatures * inFeatures)
        {
            throw new ArgumentException($"Weight has {weight.Length} values, expected {outFeatures} x {inFeatures}.");
        }

        int pw = PanelWidth;
        int panels = (outFeatures + pw - 1) / pw;
        float[] packed = AlignedArray.Allocate(panels * inFeatures * pw, out int offset);
        fixed (float* src = weight)
        fixed (float* dst = packed)
        {
            PackTransposed(src, inFeatures, inFeatures, outFeatures, dst + offset, pw);
        }

        return new LinearWeight(outFeatures, inFeatures, pw, packed, PadBias(bias, outFeatures, panels * pw), offset);
    }

    internal static float[] PadBias(ReadOnlySpan<float> bias, int n, int length)
    {
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"Bias has {bias.Length} values, expected {n}.");
        }

        float[] padded = GC.AllocateArray<float>(length, pinned: true);
        bias.CopyTo(padded);
        return padded;
    }

    /// <summary>Packs B given as W [n x k] (row j = output column j, row stride ld) into panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void PackTransposed(float* w, int ld, int k, int n, float* dst, int pw)
    {
        int panels = (n + pw - 1) / pw;
        int gatheredPanels = 0;
        if (Avx2.IsSupported && pw % 8 == 0 && (long)(pw - 1) * ld <= int.MaxValue)
        {
            // Full panels by gathers: one instruction per 8 outputs, where the scalar loop below writes one
            // float per step with a stride of pw (attention packs K this way for every head).
            gatheredPanels = n / pw;
            Vector256<int> index = Vector256.CreateSequence(0, ld);
            for (int p = 0; p < gatheredPanels; p++)
            {
                float* panel = dst + (long)p * k * pw;
                float* cols = w + (long)p * pw * ld;
                for (int kk = 0; kk < k; kk++)
                {
                    float* d = panel + kk * pw;
                    for (int j = 0; j < pw; j += 8)
                    {
                        Avx2.GatherVector256(cols + (long)j * ld + kk, index, 4).Store(d + j);
                    }
                }
            }
        }

        for (int p = gatheredPanels; p < panels; p++)
        {
            float* panel = dst + (long)p * k * pw;
            for (int j = 0; j < pw; j++)
            {
                int col = p * pw + j;
                if (col < n)
                {
                    float* row = w + (long)col * ld;
                    for (int kk = 0; kk < k; kk++)
                    {
                        panel[kk * pw + j] = row[kk];
                    }
                }
                else
                {
                    for (int kk = 0; kk < k; kk++)
                    {
                        panel[kk * pw + j] = 0f;
                    }
                }
            }
        }
    }

    /// <summary>Packs B given as V [k x n] row-major (row stride ld) into panels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(float* v, int ld, int k, int n, float* dst)
    {
        int pw = PanelWidth;
        int panels = (n + pw - 1) / pw;
        for (int p = 0; p < panels; p++)
        {
            float* panel = dst + (long)p * k * pw;
            int cols = Math.Min(pw, n - p * pw);
            for (int kk = 0; kk < k; kk++)
            {
                float* src = v + (long)kk * ld + p * pw;
                float* d = panel + kk * pw;
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                if (cols < pw)
                {
                    new Span<float>(d + cols, pw - cols).Clear();
                }
            }
        }
    }

    /// <summary>Floats needed to pack a [k x n] B.</summary>
    public int PackedSize(int k, int n) => (n + PanelWidth - 1) / PanelWidth * PanelWidth * k;

    /// <summary>
    /// Single-threaded: c[rowStart..rowEnd) x panels [panelStart..panelEnd) of a[m x k] * packed B[k x n] (+ bias).
    /// </summary>
    public void Multiply(float* a, int lda, int rowStart, int rowEnd, float* packed, int k, int n, int panelStart, int panelEnd, float* bias, float* c, int ldc) =>
        Multiply(a, lda, rowStart, rowEnd, packed, k, 0, k, n, panelStart, panelEnd, bias, c, ldc);

    /// <summary>
    /// As above over the inner indices [kStart, kEnd) only: a partial product (split-K), c overwritten
    /// (plus bias when given).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Multiply(float* a, int lda, int rowStart, int rowEnd, float* packed, int k, int kStart, int kEnd, int n, int panelStart, int panelEnd, float* bias, float* c, int ldc)
    {
        if (rowEnd <= rowStart || kEnd <= kStart)
        {
            return;
        }

        int pw = PanelWidth;
        int tr = TileRows;
        int panels = (n + pw - 1) / pw;
        int tiles = (rowEnd - rowStart + tr - 1) / tr;
        float* tmp = stackalloc float[tr * pw];
        for (int kb = kStart; kb < kEnd; kb += KBlock)
        {
            int kc = Math.Min(KBlock, kEnd - kb);
            bool accumulate = kb > kStart;
            // Cache lines of one panel's K-block slice, prefetched for the next panel a share per row tile.
            int sliceLines = kc * pw * sizeof(float) / 64;
            int linesPerTile = (sliceLines + tiles - 1) / tiles;
            for (int p = panelStart; p < panelEnd; p++)
            {
                float* b = packed + ((long)p * k + kb) * pw;
                // A forward reads each weight once, so B comes from L3 or memory; fetching the next panel into L2
                // while this one is in use made cold-weight GEMMs ~6% faster on one Xeon core (hardware
                // prefetchers stop at 4 KiB pages). The next panel may belong to the next task: harmless.
                byte* next = p + 1 < panels ? (byte*)(packed + ((long)(p + 1) * k + kb) * pw) : null;
                int prefetched = 0;
                int col0 = p * pw;
                int cols = Math.Min(pw, n - col0);
                float* panelBias = bias == null ? null : bias + col0;
                for (int r = rowStart; r < rowEnd; r += tr)
                {
                    if (next != null && prefetched < sliceLines)
                    {
                        int until = Math.Min(sliceLines, prefetched + linesPerTile);
                        PrefetchLines(next, prefetched, until);
                        prefetched = until;
                    }

                    int rows = Math.Min(tr, rowEnd - r);
                    float* ar = a + (long)r * lda + kb;
                    float* cr = c + (long)r * ldc + col0;
                    if (rows == tr && cols == pw)
                    {
                        Tile(ar, lda, rows, b, kc, cr, ldc, accumulate, panelBias);
                        continue;
                    }

                    // Edge tile: run the full kernel on a scratch tile and copy back the valid part.
                    if (accumulate)
                    {
                        for (int i = 0; i < rows; i++)
                        {
                            new Span<float>(cr + (long)i * ldc, cols).CopyTo(new Span<float>(tmp + i * pw, cols));
                        }
                    }

                    Tile(ar, lda, rows, b, kc, tmp, pw, accumulate, panelBias);
                    for (int i = 0; i < rows; i++)
                    {
                        new Span<float>(tmp + i * pw, cols).CopyTo(new Span<float>(cr + (long)i * ldc, cols));
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchLines(byte* start, int from, int until)
    {
        if (Sse.IsSupported)
        {
            for (int line = from; line < until; line++)
            {
                Sse.Prefetch1(start + line * 64);
            }
        }
    }

    public override void Linear(float* a, int m, LinearWeight weight, float* c, WorkerPool pool) =>
        LinearSplitK(a, m, weight, c, 1, 0, pool);

    /// <summary>
    /// How many partial products <see cref="LinearSplitK"/> makes for m rows on this pool: one per worker
    /// when the GEMM would otherwise split only columns (m small) and K is long enough to halve, else 1.
    /// </summary>
    public int SplitKCount(int m, LinearWeight weight, WorkerPool pool) =>
        pool.WorkerCount > 1 && SplitsColumnsOnly(m) && weight.InFeatures >= MinSplitK * pool.WorkerCount ? pool.WorkerCount : 1;

    /// <summary>
    /// c = a W^T + b as <paramref name="splits"/> partial products over consecutive ranges of K, the s-th
    /// written to c + s * partialStride (the first one with the bias): the caller sums them. The pool
    /// runs split s on worker s first, so with K split the way the previous kernel split its output
    /// columns (attention's heads, the up-projection's panels), each core reads only A it wrote itself.
    /// </summary>
    public void LinearSplitK(float* a, int m, LinearWeight weight, float* c, int splits, long partialStride, WorkerPool pool)
    {
        if (weight.PanelWidth != PanelWidth)
        {
            throw new ArgumentException($"Weight was prepared for panel width {weight.PanelWidth}, this kernel uses {PanelWidth}.");
        }

        if (splits < 1 || (splits > 1 && partialStride < (long)m * weight.OutFeatures))
        {
            throw new ArgumentOutOfRangeException(nameof(splits), splits, $"Needs at least one split, and partials at least {m} x {weight.OutFeatures} values apart (got {partialStride}).");
        }

        if (m == 0)
        {
            return;
        }

        LinearJob job = t_job ??= new LinearJob();
        job.Gemm = this;
        job.A = a;
        job.M = m;
        job.Weight = weight;
        job.C = c;
        job.Splits = splits;
        job.PartialStride = partialStride;
        job.RowBlocks = (m + MaxRowBlock - 1) / MaxRowBlock;
        job.RowBlock = (m + job.RowBlocks - 1) / job.RowBlocks;
        job.PanelGroup = PanelGroupSize(weight.Panels, job.RowBlocks * splits, pool.WorkerCount);
        job.PanelGroups = (weight.Panels + job.PanelGroup - 1) / job.PanelGroup;
        try
        {
            pool.Run(job, splits * job.RowBlocks * job.PanelGroups);
        }
        finally
        {
            job.Weight = null;
            job.Gemm = null;
        }
    }

    /// <summary>
    /// Panels per task: about 4 tasks per worker (enough to balance and to absorb a descheduled worker
    /// without re-reading A too often), preferring a size whose task count divides evenly among the
    /// workers, so that at batch 1 (one row block) no worker is left with one extra task at the end.
    /// </summary>
    internal static int PanelGroupSize(int panels, int rowBlocks, int workers)
    {
        int groupsWanted = Math.Max(1, 4 * workers / rowBlocks);
        int size = Math.Max(1, panels / groupsWanted);
        for (int g = size; g >= Math.Max(1, size / 2); g--)
        {
            int tasks = (panels + g - 1) / g * rowBlocks;
            if (tasks % workers == 0 && panels % g == 0)
            {
                return g;
            }
        }

        return size;
    }

    private sealed class LinearJob : IParallelWork
    {
        public ManagedGemm? Gemm;
        public float* A;
        public int M;
        public LinearWeight? Weight;
        public float* C;
        public int RowBlocks;
        public int RowBlock;
        public int PanelGroups;
        public int PanelGroup;
        public int Splits;
        public long PartialStride;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Execute(int part, int worker)
        {
            LinearWeight w = Weight!;
            int perSplit = RowBlocks * PanelGroups;
            int split = part / perSplit;
            part %= perSplit;
            int rb = part / PanelGroups;
            int pg = part % PanelGroups;
            int rowStart = rb * RowBlock;
            int rowEnd = Math.Min(M, rowStart + RowBlock);
            if (rowStart >= rowEnd)
            {
                return;
            }

            int panelStart = pg * PanelGroup;
            int panelEnd = Math.Min(w.Panels, panelStart + PanelGroup);
            fixed (float* data = w.Data)
            fixed (float* bias = w.Bias)
            {
                int k = w.InFeatures;
                int kStart = (int)((long)k * split / Splits);
                int kEnd = (int)((long)k * (split + 1) / Splits);
                Gemm!.Multiply(A, k, rowStart, rowEnd, data + w.Offset, k, kStart, kEnd, w.OutFeatures, panelStart, panelEnd, split == 0 ? bias : null, C + split * PartialStride, w.OutFeatures);
            }
        }
    }
}
