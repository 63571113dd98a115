using System.Numerics.Tensors;
using Lait.Engine.Config;
using Lait.Engine.Kernels;

namespace Lait.Engine.Model;

/// <summary>
/// The BERT-family forward pass over ragged batches: rows of all sequences are concatenated, so every
/// linear layer is one GEMM with no padding; attention runs per sequence. Scratch buffers live here and
/// only grow, so steady-state calls allocate nothing. Not thread-safe: <see cref="LaitModel"/> serialises calls.
/// </summary>
internal sealed unsafe class Encoder : IDisposable
{
    private readonly EncoderConfig _config;
    private readonly GemmKernel _gemm;
    private readonly WorkerPool _pool;
    private readonly Attention _attention;
    private readonly EmbeddingWeights _embeddings;
    private readonly LayerWeights[] _layers;
    private readonly AddNormJob _addNorm = new();
    private readonly ActivationJob _activation = new();

    private readonly AlignedBuffer _hidden = new();
    private readonly AlignedBuffer _qkv = new();
    private readonly AlignedBuffer _ctx = new();
    private readonly AlignedBuffer _tmp = new();
    private readonly AlignedBuffer _ffn = new();
    private readonly AlignedBuffer _embed = new();
    private int[] _starts = [];
    private int[] _lengths = [];

    public Encoder(EncoderConfig config, GemmKernel gemm, ManagedGemm attentionGemm, int threads, EmbeddingWeights embeddings, LayerWeights[] layers)
    {
        _config = config;
        _gemm = gemm;
        _pool = new WorkerPool(Math.Max(1, threads));
        _attention = new Attention(attentionGemm, config.NumHeads, config.HeadDim, _pool.WorkerCount);
        _embeddings = embeddings;
        _layers = layers;
    }

    public GemmKernel Gemm => _gemm;

    /// <summary>Rows of the current batch's hidden states ([rows x H]); valid after <see cref="Prepare"/>.</summary>
    public Span<float> Hidden(int rows) => _hidden.AsSpan(0, rows * _config.HiddenSize);

    /// <summary>Sizes the scratch for <paramref name="rows"/> rows in <paramref name="sequences"/> sequences.</summary>
    public void Prepare(int rows, int sequences)
    {
        int h = _config.HiddenSize;
        _hidden.EnsureCapacity(rows * h);
        _qkv.EnsureCapacity(rows * 3 * h);
        _ctx.EnsureCapacity(rows * h);
        _tmp.EnsureCapacity(rows * h * _pool.WorkerCount); // room for a split-K partial product per worker
        _ffn.EnsureCapacity(rows * _config.IntermediateSize);
        if (_embeddings.Project is not null)
        {
            _embed.EnsureCapacity(rows * _config.EmbeddingSize);
        }

        if (_starts.Length < sequences)
        {
            _starts = new int[sequences];
            _lengths = new int[sequences];
        }
    }

    public void SetSequence(int index, int start, int length)
    {
        _starts[index] = start;
        _lengths[index] = length;
    }

    /// <summary>
    /// Embeds one segment into rows starting at <paramref name="row"/>: word + position + token type,
    /// then LayerNorm (and ELECTRA's projection, applied later for the whole batch by <see cref="ProjectEmbeddings"/>).
    /// </summary>
    public void Embed(ReadOnlySpan<int> ids, int typeId, int firstPosition, int row)
    {
        int e = _config.EmbeddingSize;
        AlignedBuffer target = _embeddings.Project is null ? _hidden : _embed;
        EmbeddingWeights w = _embeddings;
        for (int i = 0; i < ids.Length; i++)
        {
            Span<float> dst = target.AsSpan((row + i) * e, e);
            ReadOnlySpan<float> word = w.Word.AsSpan(ids[i] * e, e);
            ReadOnlySpan<float> pos = w.Position.AsSpan((firstPosition + i) * e, e);
            System.Numerics.Tensors.TensorPrimitives.Add(word, pos, dst);
            if (w.TokenType is not null)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(dst, w.TokenType.AsSpan(typeId * e, e), dst);
            }

            Normalization.AddLayerNorm(dst, default, w.NormGamma, w.NormBeta, _config.LayerNormEps, dst);
        }
    }

    /// <summary>ELECTRA: hidden = embeddings_project(embeddings) when the embedding width differs.</summary>
    public void ProjectEmbeddings(int rows)
    {
        if (_embeddings.Project is null)
        {
            return;
        }

        _gemm.Linear(_embed.Pointer, rows, _embeddings.Project, _hidden.Pointer, _pool);
    }

    /// <summary>Runs layers [from, to) over the prepared rows and sequences, in place on the hidden buffer.</summary>
    public void RunLayers(int from, int to, int rows, int sequences)
    {
        int h = _config.HiddenSize;
        long partialStride = (long)rows * h; // between split-K partial products in tmp
        float* hidden = _hidden.Pointer;
        float* qkv = _qkv.Pointer;
        float* ctx = _ctx.Pointer;
        float* tmp = _tmp.Pointer;
        float* ffn = _ffn.Pointer;
        for (int l = from; l < to; l++)
        {
            LayerWeights w = _layers[l];
            _gemm.Linear(hidden, rows, w.Qkv, qkv, _pool);
            _attention.Run(qkv, ctx, _starts, _lengths, sequences, _pool, headMajor: ManagedGemm.SplitsColumnsOnly(rows));
            int partials = LinearIntoPartials(ctx, rows, w.AttentionOut, tmp, partialStride);
            _addNorm.Set(tmp, partials, partialStride, hidden, w.AttentionNormGamma, w.AttentionNormBeta, _config.LayerNormEps, h);
            _addNorm.Run(rows, 8, _pool);
            _gemm.Linear(hidden, rows, w.Up, ffn, _pool);
            _activation.Set(ffn, _config.IntermediateSize, _config.HiddenActivation);
            _activation.Run(rows, 8, _pool);
            partials = LinearIntoPartials(ffn, rows, w.Down, tmp, partialStride);
            _addNorm.Set(tmp, partials, partialStride, hidden, w.OutputNormGamma, w.OutputNormBeta, _config.LayerNormEps, h);
            _addNorm.Run(rows, 8, _pool);
        }
    }

    /// <summary>
    /// A projection whose output goes straight into add+LayerNorm, as partial products over ranges of K
    /// when the managed GEMM would split only columns (small batches): each core then multiplies the
    /// columns of A that it produced itself (its attention heads, its up-projection panels) instead of
    /// fetching the other core's half, and add+LayerNorm sums the partials. Returns how many there are
    /// (<paramref name="partialStride"/> apart in c).
    /// </summary>
    private int LinearIntoPartials(float* a, int rows, LinearWeight weight, float* c, long partialStride)
    {
        if (_gemm is ManagedGemm managed)
        {
            int splits = managed.SplitKCount(rows, weight, _pool);
            managed.LinearSplitK(a, rows, weight, c, splits, partialStride, _pool);
            return splits;
        }

        _gemm.Linear(a, rows, weight, c, _pool);
        return 1;
    }

    public void Dispose() => _pool.Dispose();

    /// <summary>hidden = LayerNorm(x_0 + ... + x_{p-1} + hidden) row by row (x_i: partial products, partialStride apart).</summary>
    private sealed class AddNormJob : RowJob
    {
        private float* _x;
        private int _partials;
        private long _partialStride;
        private float* _hidden;
        private float[] _gamma = [];
        private float[] _beta = [];
        private float _eps;
        private int _width;

        public void Set(float* x, int partials, long partialStride, float* hidden, float[] gamma, float[] beta, float eps, int width)
        {
            _x = x;
            _partials = partials;
            _partialStride = partialStride;
            _hidden = hidden;
            _gamma = gamma;
            _beta = beta;
            _eps = eps;
            _width = width;
        }

        protected override void ExecuteRows(int start, int end)
        {
            for (int r = start; r < end; r++)
            {
                var dst = new Span<float>(_hidden + (long)r * _width, _width);
                var x = new Span<float>(_x + (long)r * _width, _width);
                for (int p = 1; p < _partials; p++)
                {
                    TensorPrimitives.Add(x, new ReadOnlySpan<float>(_x + p * _partialStride + (long)r * _width, _width), x);
                }

                Normalization.AddLayerNorm(x, dst, _gamma, _beta, _eps, dst);
            }
        }
    }

    private sealed class ActivationJob : RowJob
    {
        private float* _values;
        private int _width;
        private Activation _activation;

        public void Set(float* values, int width, Activation activation)
        {
            _values = values;
            _width = width;
            _activation = activation;
        }

        protected override void ExecuteRows(int start, int end) =>
            Activations.Apply(_activation, new Span<float>(_values + (long)start * _width, (end - start) * _width));
    }
}
