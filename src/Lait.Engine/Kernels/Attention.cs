using System.Runtime.CompilerServices;

namespace Lait.Engine.Kernels;

/// <summary>
/// Multi-head self-attention over ragged sequences packed as rows: qkv is [T x 3H], head by head
/// (Q_0 K_0 V_0 Q_1 K_1 V_1 ... in each row, d values each), ctx is [T x H]. Each sequence attends only
/// within itself, so no padding and no mask are needed; a tower batch passes segments as sequences, a
/// joint batch passes concatenations.
/// Per (sequence, head): scores = Q K^T and ctx = softmax(scores / sqrt d) V, both on the managed
/// micro-kernel with K and V packed into per-worker scratch.
/// </summary>
public sealed unsafe class Attention : IParallelWork
{
    private readonly ManagedGemm _gemm;
    private readonly int _heads;
    private readonly int _headDim;
    private readonly int _hidden;
    private readonly float _scale;
    private readonly AlignedBuffer[] _packedK;
    private readonly AlignedBuffer[] _packedV;
    private readonly AlignedBuffer[] _scores;

    private float* _qkv;
    private float* _ctx;
    private int[]? _starts;
    private int[]? _lengths;
    private int _count;
    private bool _headMajor;

    public Attention(ManagedGemm gemm, int heads, int headDim, int workers)
    {
        _gemm = gemm;
        _heads = heads;
        _headDim = headDim;
        _hidden = heads * headDim;
        _scale = 1f / MathF.Sqrt(headDim);
        _packedK = new AlignedBuffer[workers];
        _packedV = new AlignedBuffer[workers];
        _scores = new AlignedBuffer[workers];
        for (int w = 0; w < workers; w++)
        {
            _packedK[w] = new AlignedBuffer();
            _packedV[w] = new AlignedBuffer();
            _scores[w] = new AlignedBuffer();
        }
    }

    /// <summary>
    /// Runs attention for sequences i in 0..count-1 occupying rows starts[i] .. starts[i]+lengths[i]-1.
    /// The pool gives each worker a contiguous share of the (sequence, head) parts; <paramref name="headMajor"/>
    /// orders them head by head, so that share is the heads whose Q, K, V the same worker produced when the
    /// QKV GEMM split its columns (see <see cref="ManagedGemm.SplitsColumnsOnly"/>); otherwise sequence by
    /// sequence, matching a GEMM split by rows.
    /// </summary>
    public void Run(float* qkv, float* ctx, int[] starts, int[] lengths, int count, WorkerPool pool, bool headMajor)
    {
        if (pool.WorkerCount > _scores.Length)
        {
            throw new ArgumentException("The pool has more workers than this attention kernel has scratch for.");
        }

        int maxLength = 0;
        for (int i = 0; i < count; i++)
        {
            maxLength = Math.Max(maxLength, lengths[i]);
        }

        EnsureScratch(maxLength, pool.WorkerCount);
        _qkv = qkv;
        _ctx = ctx;
        _starts = starts;
        _lengths = lengths;
        _count = count;
        _headMajor = headMajor;
        try
        {
            pool.Run(this, count * _heads);
        }
        finally
        {
            _starts = _lengths = null;
        }
    }

    private void EnsureScratch(int maxLength, int workers)
    {
        int kSize = _gemm.PackedSize(_headDim, maxLength);
        int vSize = _gemm.PackedSize(maxLength, _headDim);
        int sSize = maxLength * maxLength;
        for (int w = 0; w < workers; w++)
        {
            // Grow only: steady-state calls allocate nothing.
            _packedK[w].EnsureCapacity(kSize);
            _packedV[w].EnsureCapacity(vSize);
            _scores[w].EnsureCapacity(sSize);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void IParallelWork.Execute(int part, int worker)
    {
        int seq = _headMajor ? part % _count : part / _heads;
        int head = _headMajor ? part / _count : part % _heads;
        int n = _lengths![seq];
        int start = _starts![seq];
        int ld = 3 * _hidden;
        float* q = _qkv + (long)start * ld + head * 3 * _headDim;
        float* k = q + _headDim;
        float* v = q + 2 * _headDim;
        float* c = _ctx + (long)start * _hidden + head * _headDim;
        int panelsK = (n + _gemm.PanelWidth - 1) / _gemm.PanelWidth;
        int panelsV = (_headDim + _gemm.PanelWidth - 1) / _gemm.PanelWidth;

        float* packedK = _packedK[worker].Pointer;
        float* packedV = _packedV[worker].Pointer;
        float* scores = _scores[worker].Pointer;
        // K_h as the "weight" [n x d]: scores[n x n] = Q_h K_h^T.
        _gemm.PackTransposed(k, ld, _headDim, n, packedK, _gemm.PanelWidth);
        _gemm.Multiply(q, ld, 0, n, packedK, _headDim, n, 0, panelsK, null, scores, n);
        Normalization.ScaledSoftmaxRows(new Span<float>(scores, n * n), n, n, _scale);

        // ctx_h[n x d] = P V_h.
        _gemm.Pack(v, ld, n, _headDim, packedV);
        _gemm.Multiply(scores, n, 0, n, packedV, n, _headDim, 0, panelsV, null, c, _hidden);
    }
}
