using Lait.Engine.Config;
using Lait.Engine.Kernels;

namespace Lait.Engine.Model;

/// <summary>One transformer layer's weights, linear layers prepared for the GEMM backend.</summary>
internal sealed class LayerWeights
{
    public required LinearWeight Qkv { get; init; }
    public required LinearWeight AttentionOut { get; init; }
    public required float[] AttentionNormGamma { get; init; }
    public required float[] AttentionNormBeta { get; init; }
    public required LinearWeight Up { get; init; }
    public required LinearWeight Down { get; init; }
    public required float[] OutputNormGamma { get; init; }
    public required float[] OutputNormBeta { get; init; }
}

/// <summary>Embedding tables; Project maps EmbeddingSize to HiddenSize (ELECTRA only).</summary>
internal sealed class EmbeddingWeights
{
    public required float[] Word { get; init; }
    public required float[] Position { get; init; }
    public float[]? TokenType { get; init; }
    public required float[] NormGamma { get; init; }
    public required float[] NormBeta { get; init; }
    public LinearWeight? Project { get; init; }
}

/// <summary>Head weights (raw [out x in] matrices; heads touch a handful of rows, no packing needed).</summary>
internal sealed class HeadWeights
{
    /// <summary>BERT pooler / RoBERTa &amp; ELECTRA classifier.dense / DistilBERT pre_classifier: [H x H].</summary>
    public float[]? DenseWeight { get; init; }
    public float[]? DenseBias { get; init; }

    /// <summary>Final classifier / out_proj / qa_outputs: [outputs x H].</summary>
    public float[]? OutWeight { get; init; }
    public float[]? OutBias { get; init; }
    public int Outputs { get; init; }

    /// <summary>BERT's pooler (dense + tanh on [CLS]) when present in the checkpoint.</summary>
    public float[]? PoolerWeight { get; init; }
    public float[]? PoolerBias { get; init; }
}

/// <summary>Maps Hugging Face tensor names of each architecture onto the engine's layout.</summary>
internal static class EncoderWeightsLoader
{
    public static (EmbeddingWeights Embeddings, LayerWeights[] Layers, HeadWeights Head) Load(EncoderConfig c, ITensorSource t, GemmKernel gemm)
    {
        string prefix = FindPrefix(c, t);
        var r = new Lookup(t);
        int h = c.HiddenSize;
        int e = c.EmbeddingSize;

        string emb = prefix + "embeddings.";
        var embeddings = new EmbeddingWeights
        {
            Word = r.Get(emb + "word_embeddings.weight", c.VocabSize, e),
            Position = r.Get(emb + "position_embeddings.weight", c.MaxPositionEmbeddings, e),
            TokenType = c.TypeVocabSize > 0 ? r.Get(emb + "token_type_embeddings.weight", c.TypeVocabSize, e) : null,
            NormGamma = r.Norm(emb + "LayerNorm", "weight", e),
            NormBeta = r.Norm(emb + "LayerNorm", "bias", e),
            Project = e != h
                ? gemm.Prepare(r.Get(prefix + "embeddings_project.weight", h, e), h, e, r.Get(prefix + "embeddings_project.bias", h))
                : null,
        };

        var layers = new LayerWeights[c.NumLayers];
        for (int i = 0; i < c.NumLayers; i++)
        {
            layers[i] = c.Architecture == EncoderArchitecture.DistilBert
                ? LoadDistilBertLayer(c, r, gemm, $"{prefix}transformer.layer.{i}.")
                : LoadBertLayer(c, r, gemm, $"{prefix}encoder.layer.{i}.");
        }

        return (embeddings, layers, LoadHead(c, r, prefix));
    }

    private static LayerWeights LoadBertLayer(EncoderConfig c, Lookup r, GemmKernel gemm, string p)
    {
        int h = c.HiddenSize;
        int i = c.IntermediateSize;
        return new LayerWeights
        {
            Qkv = FuseQkv(r, gemm, h, c.NumHeads, p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"),
            AttentionOut = Linear(r, gemm, p + "attention.output.dense", h, h),
            AttentionNormGamma = r.Norm(p + "attention.output.LayerNorm", "weight", h),
            AttentionNormBeta = r.Norm(p + "attention.output.LayerNorm", "bias", h),
            Up = Linear(r, gemm, p + "intermediate.dense", i, h),
            Down = Linear(r, gemm, p + "output.dense", h, i),
            OutputNormGamma = r.Norm(p + "output.LayerNorm", "weight", h),
            OutputNormBeta = r.Norm(p + "output.LayerNorm", "bias", h),
        };
    }

    private static LayerWeights LoadDistilBertLayer(EncoderConfig c, Lookup r, GemmKernel gemm, string p)
    {
        int h = c.HiddenSize;
        int i = c.IntermediateSize;
        return new LayerWeights
        {
            Qkv = FuseQkv(r, gemm, h, c.NumHeads, p + "attention.q_lin", p + "attention.k_lin", p + "attention.v_lin"),
            AttentionOut = Linear(r, gemm, p + "attention.out_lin", h, h),
            AttentionNormGamma = r.Get(p + "sa_layer_norm.weight", h),
            AttentionNormBeta = r.Get(p + "sa_layer_norm.bias", h),
            Up = Linear(r, gemm, p + "ffn.lin1", i, h),
            Down = Linear(r, gemm, p + "ffn.lin2", h, i),
            OutputNormGamma = r.Get(p + "output_layer_norm.weight", h),
            OutputNormBeta = r.Get(p + "output_layer_norm.bias", h),
        };
    }

    /// <summary>
    /// Q, K and V become one [3H x H] weight so one GEMM produces all three (better tile use), its outputs
    /// ordered head by head, [Q_0 K_0 V_0 Q_1 K_1 V_1 ...] (<see cref="Attention"/>'s layout): the GEMM's
    /// column split then hands each core whole heads, which the attention that follows runs on the same core.
    /// </summary>
    private static LinearWeight FuseQkv(Lookup r, GemmKernel gemm, int h, int heads, string q, string k, string v)
    {
        int d = h / heads;
        var weight = new float[3 * h * h];
        var bias = new float[3 * h];
        string[] names = [q, k, v];
        for (int j = 0; j < 3; j++)
        {
            float[] w = r.Get(names[j] + ".weight", h, h);
            float[] b = r.Get(names[j] + ".bias", h);
            for (int head = 0; head < heads; head++)
            {
                int row = (3 * head + j) * d; // first fused output row of this head's Q, K or V
                w.AsSpan(head * d * h, d * h).CopyTo(weight.AsSpan(row * h));
                b.AsSpan(head * d, d).CopyTo(bias.AsSpan(row));
            }
        }

        return gemm.Prepare(weight, 3 * h, h, bias);
    }

    private static LinearWeight Linear(Lookup r, GemmKernel gemm, string name, int outFeatures, int inFeatures) =>
        gemm.Prepare(r.Get(name + ".weight", outFeatures, inFeatures), outFeatures, inFeatures, r.Get(name + ".bias", outFeatures));

    private static HeadWeights LoadHead(EncoderConfig c, Lookup r, string prefix)
    {
        int h = c.HiddenSize;
        float[]? poolerW = r.TryGet(prefix + "pooler.dense.weight", h, h);
        float[]? poolerB = poolerW is null ? null : r.Get(prefix + "pooler.dense.bias", h);
        switch (c.Head)
        {
            case HeadKind.QuestionAnswering:
                return new HeadWeights
                {
                    OutWeight = r.Get("qa_outputs.weight", 2, h),
                    OutBias = r.Get("qa_outputs.bias", 2),
                    Outputs = 2,
                    PoolerWeight = poolerW,
                    PoolerBias = poolerB,
                };
            case HeadKind.SequenceClassification:
                int labels = r.Rows(c.Architecture switch
                {
                    EncoderArchitecture.Roberta or EncoderArchitecture.Electra => "classifier.out_proj.weight",
                    _ => "classifier.weight",
                });
                if (c.Labels.Count != 0 && c.Labels.Count != labels)
                {
                    throw new ModelWeightsException($"config.json id2label has {c.Labels.Count} labels but the classifier has {labels} outputs.");
                }

                return c.Architecture switch
                {
                    EncoderArchitecture.Bert => new HeadWeights
                    {
                        PoolerWeight = poolerW ?? r.Get(prefix + "pooler.dense.weight", h, h),
                        PoolerBias = poolerB ?? r.Get(prefix + "pooler.dense.bias", h),
                        OutWeight = r.Get("classifier.weight", labels, h),
                        OutBias = r.Get("classifier.bias", labels),
                        Outputs = labels,
                    },
                    EncoderArchitecture.DistilBert => new HeadWeights
                    {
                        DenseWeight = r.Get("pre_classifier.weight", h, h),
                        DenseBias = r.Get("pre_classifier.bias", h),
                        OutWeight = r.Get("classifier.weight", labels, h),
                        OutBias = r.Get("classifier.bias", labels),
                        Outputs = labels,
                    },
                    _ => new HeadWeights
                    {
                        DenseWeight = r.Get("classifier.dense.weight", h, h),
                        DenseBias = r.Get("classifier.dense.bias", h),
                        OutWeight = r.Get("classifier.out_proj.weight", labels, h),
                        OutBias = r.Get("classifier.out_proj.bias", labels),
                        Outputs = labels,
                    },
                };
            default:
                return new HeadWeights { PoolerWeight = poolerW, PoolerBias = poolerB };
        }
    }

    /// <summary>Heads save the encoder under "bert." etc.; bare encoders (BertModel) have no prefix.</summary>
    private static string FindPrefix(EncoderConfig c, ITensorSource t)
    {
        string own = c.Architecture switch
        {
            EncoderArchitecture.Bert => "bert.",
            EncoderArchitecture.Roberta => "roberta.",
            EncoderArchitecture.DistilBert => "distilbert.",
            _ => "electra.",
        };
        foreach (string candidate in new[] { own, string.Empty })
        {
            if (t.TryGet(candidate + "embeddings.word_embeddings.weight", out _, out _))
            {
                return candidate;
            }
        }

        throw new ModelWeightsException($"The checkpoint has no '{own}embeddings.word_embeddings.weight' (nor without the '{own}' prefix); it does not look like a {c.Architecture} model.");
    }

    private readonly struct Lookup(ITensorSource t)
    {
        public float[] Get(string name, params int[] shape) =>
            TryGet(name, shape) ?? throw new ModelWeightsException($"The checkpoint is missing tensor '{name}' (expected shape [{string.Join(", ", shape)}]).");

        public float[]? TryGet(string name, params int[] shape)
        {
            if (!t.TryGet(name, out int[] actual, out float[] values))
            {
                return null;
            }

            if (!actual.AsSpan().SequenceEqual(shape))
            {
                throw new ModelWeightsException($"Tensor '{name}' has shape [{string.Join(", ", actual)}] but config.json implies [{string.Join(", ", shape)}].");
            }

            return values;
        }

        public int Rows(string name)
        {
            if (!t.TryGet(name, out int[] shape, out _))
            {
                throw new ModelWeightsException($"The checkpoint is missing tensor '{name}'.");
            }

            if (shape.Length != 2)
            {
                throw new ModelWeightsException($"Tensor '{name}' should be a matrix, has shape [{string.Join(", ", shape)}].");
            }

            return shape[0];
        }

        /// <summary>LayerNorm parameters; old TF-converted checkpoints name them gamma/beta.</summary>
        public float[] Norm(string module, string kind, int size)
        {
            string legacy = kind == "weight" ? "gamma" : "beta";
            return TryGet($"{module}.{kind}", size) ?? TryGet($"{module}.{legacy}", size)
                ?? throw new ModelWeightsException($"The checkpoint is missing tensor '{module}.{kind}' (shape [{size}]).");
        }
    }
}
