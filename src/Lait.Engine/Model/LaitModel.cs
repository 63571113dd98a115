using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Lait.Engine.Checkpoints;
using Lait.Engine.Config;
using Lait.Engine.Heads;
using Lait.Engine.Kernels;
using Lait.Engine.Tokenization;

namespace Lait.Engine.Model;

/// <summary>
/// A loaded BERT-family model with the LAIT split (DESIGN.md §4):
/// <see cref="Towers"/> runs embeddings + layers 0..P-1 on each segment alone;
/// <see cref="Joint(IReadOnlyList{IReadOnlyList{TowerState}})"/> runs layers P..L-1 over the concatenation of tower states;
/// heads turn a joint output into labels, span logits or an embedding.
/// Thread-safe: forward passes are serialised (each already uses every core).
/// </summary>
public sealed class LaitModel : IDisposable
{
    private readonly object _lock = new();
    private readonly Encoder _encoder;
    private readonly TaskHeads _heads;
    private readonly EngineOptions _options;
    private bool _disposed;

    private LaitModel(EncoderConfig config, ITensorSource tensors, string fingerprint, EngineOptions options, ITokenizer? tokenizer)
    {
        if (options.Threads < 1 || options.MaxSegments < 1 || options.MaxJointTokens is < 1)
        {
            throw new ArgumentException("EngineOptions: Threads, MaxSegments and MaxJointTokens must be positive.");
        }

        Config = config;
        Fingerprint = fingerprint;
        Tokenizer = tokenizer;
        _options = options;
        if (tokenizer is not null && tokenizer.Vocabulary.Count > config.VocabSize)
        {
            throw new ModelConfigException($"The tokenizer has {tokenizer.Vocabulary.Count} tokens but the model's vocabulary has {config.VocabSize}; they do not belong together.");
        }

        GemmKernel gemm = GemmKernel.Create(options.Gemm);
        if (gemm.Backend == GemmBackend.OpenBlas)
        {
            OpenBlasGemm.SetThreads(options.Threads);
        }

        var (embeddings, layers, head) = EncoderWeightsLoader.Load(config, tensors, gemm);
        _encoder = new Encoder(config, gemm, GemmKernel.BestManaged(gemm.Backend), options.Threads, embeddings, layers);
        _heads = new TaskHeads(config, head);
        MaxJointTokens = options.MaxJointTokens ?? config.MaxSequenceLength;
        if (options.WarmUp)
        {
            WarmUp();
        }
    }

    public EncoderConfig Config { get; }

    /// <summary>
    /// Hex SHA-256 over the weight files (CheckpointLoader.Fingerprint) and config.json: anything that
    /// changes the numbers changes it. Part of every cache key.
    /// </summary>
    public string Fingerprint { get; }

    /// <summary>P: layers run per segment.</summary>
    public int TowerLayers => Config.TowerLayers;

    public PositionMode PositionMode => Config.PositionMode;

    public int HiddenSize => Config.HiddenSize;

    public GemmBackend GemmBackend => _encoder.Gemm.Backend;

    /// <summary>Most tokens of one segment (and, by default, of one joint sequence).</summary>
    public int MaxSequenceLength => Config.MaxSequenceLength;

    public int MaxJointTokens { get; }

    public int MaxSegments => _options.MaxSegments;

    public IReadOnlyList<string> Labels => Config.Labels;

    /// <summary>The model folder's tokenizer (TokenizerLoader.FromDirectory), or null when the folder has none.</summary>
    public ITokenizer? Tokenizer { get; }

    /// <summary>Loads config.json and the weights (safetensors, sharded or pytorch_model.bin) of a Hugging Face model folder.</summary>
    public static LaitModel Load(string modelDir, EngineOptions? options = null)
    {
        EncoderConfig config = EncoderConfigReader.FromDirectory(modelDir);
        IReadOnlyDictionary<string, LoadedTensor> tensors = CheckpointLoader.LoadDirectory(modelDir);
        string weights = CheckpointLoader.Fingerprint(modelDir);
        byte[] configBytes = File.ReadAllBytes(Path.Combine(modelDir, EncoderConfigReader.FileName));
        byte[] combined = [.. Encoding.UTF8.GetBytes("lait-model-v1\n" + weights + "\n"), .. configBytes];
        string fingerprint = Convert.ToHexStringLower(SHA256.HashData(combined));
        ITokenizer? tokenizer = HasTokenizerFiles(modelDir) ? TokenizerLoader.FromDirectory(modelDir) : null;
        return new LaitModel(config, new LoadedTensorSource(tensors), fingerprint, options ?? new EngineOptions(), tokenizer);
    }

    /// <summary>Builds a model from tensors already in memory (tests, converters).</summary>
    public static LaitModel Create(EncoderConfig config, ITensorSource tensors, string fingerprint, EngineOptions? options = null, ITokenizer? tokenizer = null) =>
        new(config, tensors, fingerprint, options ?? new EngineOptions(), tokenizer);

    private static bool HasTokenizerFiles(string dir) =>
        File.Exists(Path.Combine(dir, "tokenizer.json")) || File.Exists(Path.Combine(dir, "vocab.txt"))
        || (File.Exists(Path.Combine(dir, "vocab.json")) && File.Exists(Path.Combine(dir, "merges.txt")));

    /// <summary>
    /// Tokenizes text into a framed segment: First = [CLS] text [SEP]; Other = text [SEP] (byte-level BPE
    /// models: &lt;/s&gt; text &lt;/s&gt;, RoBERTa's pair framing). Text that does not fit the positions left
    /// after <paramref name="positionStart"/> is cut when <paramref name="truncate"/> is true (and
    /// <see cref="TextSegment.Truncated"/> says so), otherwise rejected.
    /// </summary>
    public TextSegment Tokenize(string text, SegmentRole role, int? positionStart = null, bool truncate = false)
    {
        int start = positionStart ?? PositionStartFor(role);
        ITokenizer tokenizer = Tokenizer ?? throw new InvalidOperationException("This model was loaded without a tokenizer; pass token ids instead.");
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new EngineInputException($"The {(role == SegmentRole.First ? "first" : "other")} segment's text is empty.");
        }

        SpecialTokenIds special = tokenizer.SpecialTokens;
        bool bpe = tokenizer.Kind == TokenizerKind.ByteLevelBpe;
        var prefix = new List<int>(2);
        if (role == SegmentRole.First)
        {
            prefix.Add(special.Cls);
        }
        else if (bpe)
        {
            prefix.Add(special.Sep);
        }

        if (special.Sep < 0 || prefix.Contains(-1))
        {
            throw new InvalidOperationException("The tokenizer's vocabulary lacks the [CLS]/[SEP] (or <s>/</s>) tokens needed to frame a segment.");
        }

        TokenSpan[] tokens;
        try
        {
            tokens = tokenizer.Encode(text);
        }
        catch (InvalidTextException e)
        {
            throw new EngineInputException($"The text is not valid Unicode at index {e.Offset}: {e.Message}");
        }

        if (tokens.Length == 0)
        {
            throw new EngineInputException("The text produced no tokens (only characters the tokenizer drops).");
        }

        int room = Config.MaxSequenceLength - start - prefix.Count - 1;
        bool truncated = false;
        if (tokens.Length > room)
        {
            if (!truncate || room < 1)
            {
                throw new EngineInputException($"The text has {tokens.Length} tokens; at most {Math.Max(0, room)} fit this segment (model positions {Config.MaxSequenceLength}, start {start}). Shorten it or ask for truncation.");
            }

            tokens = tokens[..room];
            truncated = true;
        }

        var ids = new int[prefix.Count + tokens.Length + 1];
        prefix.CopyTo(ids);
        for (int i = 0; i < tokens.Length; i++)
        {
            ids[prefix.Count + i] = tokens[i].Id;
        }

        ids[^1] = special.Sep;
        return new TextSegment(new Segment(role, ids, start), tokens, prefix.Count, truncated);
    }

    /// <summary>
    /// Where a segment of this role starts under a cacheable position mode: 0 under per-segment
    /// positions; 0 for the first and <see cref="EncoderConfig.OtherPositionStart"/> for every other
    /// segment under role offsets. Under continuous positions it is 0 for the first segment, and a later
    /// one starts where the previous ended (the caller knows that, so the first-segment value is returned).
    /// </summary>
    public int PositionStartFor(SegmentRole role) =>
        Config.PositionMode == PositionMode.RoleOffset && role == SegmentRole.Other ? Config.OtherPositionStart : 0;

    public TowerState Tower(Segment segment) => Towers([segment])[0];

    /// <summary>
    /// Tower states of many segments in one ragged pass (each segment attends only to itself).
    /// Token type: 0 for <see cref="SegmentRole.First"/>, 1 for others (0 when the model has a single type).
    /// </summary>
    public TowerState[] Towers(IReadOnlyList<Segment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Count == 0)
        {
            throw new EngineInputException("No segments were given; pass at least one.");
        }

        int rows = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            ValidateSegment(segments[i], i);
            rows += segments[i].TokenIds.Length;
        }

        int h = Config.HiddenSize;
        var states = new TowerState[segments.Count];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _encoder.Prepare(rows, segments.Count);
            int row = 0;
            for (int i = 0; i < segments.Count; i++)
            {
                Segment s = segments[i];
                _encoder.Embed(s.TokenIds, TokenType(s.Role), Config.PositionOffset + s.PositionStart, row);
                _encoder.SetSequence(i, row, s.TokenIds.Length);
                row += s.TokenIds.Length;
            }

            _encoder.ProjectEmbeddings(rows);
            _encoder.RunLayers(0, Config.TowerLayers, rows, segments.Count);
            ReadOnlySpan<float> hidden = _encoder.Hidden(rows);
            row = 0;
            for (int i = 0; i < segments.Count; i++)
            {
                Segment s = segments[i];
                int n = s.TokenIds.Length;
                states[i] = new TowerState(s.Role, s.PositionStart, n, h, hidden.Slice(row * h, n * h).ToArray());
                row += n;
            }
        }

        return states;
    }

    public JointOutput Joint(IReadOnlyList<TowerState> sequence) => Joint([sequence])[0];

    /// <summary>
    /// Final hidden states of several joint sequences (e.g. one claim with each of many evidence
    /// segments) in one ragged pass; each sequence attends over all its own tokens.
    /// </summary>
    public JointOutput[] Joint(IReadOnlyList<IReadOnlyList<TowerState>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0)
        {
            throw new EngineInputException("No joint sequences were given; pass at least one.");
        }

        int rows = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            rows += ValidateJoint(sequences[i], i);
        }

        int h = Config.HiddenSize;
        var outputs = new JointOutput[sequences.Count];
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _encoder.Prepare(rows, sequences.Count);
            Span<float> hidden = _encoder.Hidden(rows);
            int row = 0;
            for (int i = 0; i < sequences.Count; i++)
            {
                int start = row;
                foreach (TowerState state in sequences[i])
                {
                    state.Values.CopyTo(hidden.Slice(row * h));
                    row += state.TokenCount;
                }

                _encoder.SetSequence(i, start, row - start);
            }

            _encoder.RunLayers(Config.TowerLayers, Config.NumLayers, rows, sequences.Count);
            hidden = _encoder.Hidden(rows);
            row = 0;
            for (int i = 0; i < sequences.Count; i++)
            {
                IReadOnlyList<TowerState> seq = sequences[i];
                var segmentStarts = new int[seq.Count];
                int n = 0;
                for (int j = 0; j < seq.Count; j++)
                {
                    segmentStarts[j] = n;
                    n += seq[j].TokenCount;
                }

                outputs[i] = new JointOutput(n, h, hidden.Slice(row * h, n * h).ToArray(), segmentStarts);
                row += n;
            }
        }

        return outputs;
    }

    /// <summary>The whole model on segments (towers, then joint) for several sequences: the stock forward pass when P = 0.</summary>
    public JointOutput[] Encode(IReadOnlyList<IReadOnlyList<Segment>> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var all = new List<Segment>();
        foreach (IReadOnlyList<Segment> seq in sequences)
        {
            if (seq is null || seq.Count == 0)
            {
                throw new EngineInputException("A sequence has no segments; pass at least one.");
            }

            all.AddRange(seq);
        }

        TowerState[] towers = Towers(all);
        var grouped = new IReadOnlyList<TowerState>[sequences.Count];
        int k = 0;
        for (int i = 0; i < sequences.Count; i++)
        {
            grouped[i] = towers.AsSpan(k, sequences[i].Count).ToArray();
            k += sequences[i].Count;
        }

        return Joint(grouped);
    }

    public JointOutput Encode(IReadOnlyList<Segment> sequence) => Encode([sequence])[0];

    /// <summary>Sequence classification head on the first token (per architecture: BERT pooler+classifier, RoBERTa/ELECTRA dense+out_proj, DistilBERT pre_classifier+classifier).</summary>
    public ClassificationResult Classify(JointOutput output) => _heads.Classify(output);

    public ClassificationResult Classify(IReadOnlyList<TowerState> sequence) => Classify(Joint(sequence));

    /// <summary>Extractive QA head: start/end logits for every token of the joint sequence.</summary>
    public SpanLogits AnswerSpan(JointOutput output) => _heads.AnswerSpan(output);

    public SpanLogits AnswerSpan(IReadOnlyList<TowerState> sequence) => AnswerSpan(Joint(sequence));

    /// <summary>Pooled embedding of a joint sequence (first token, or mean over all tokens).</summary>
    public float[] Embed(JointOutput output, PoolingMode mode) => TaskHeads.Pool(output, mode);

    private int TokenType(SegmentRole role) => Config.TypeVocabSize <= 1 ? 0 : role == SegmentRole.First ? 0 : 1;

    private void ValidateSegment(Segment s, int index)
    {
        if (s is null || s.TokenIds is null)
        {
            throw new EngineInputException($"Segment {index} is null.");
        }

        int n = s.TokenIds.Length;
        if (n == 0)
        {
            throw new EngineInputException($"Segment {index} has no tokens; every segment needs at least its separator token.");
        }

        if (s.PositionStart < 0)
        {
            throw new EngineInputException($"Segment {index} has a negative position start ({s.PositionStart}).");
        }

        if (Config.PositionMode != PositionMode.Continuous && s.PositionStart != PositionStartFor(s.Role))
        {
            throw new EngineInputException(Config.PositionMode == PositionMode.PerSegment
                ? $"Segment {index} has position start {s.PositionStart}, but this model uses per-segment positions, which always start at 0."
                : $"Segment {index} ({s.Role}) has position start {s.PositionStart}, but this model starts every {s.Role} segment at {PositionStartFor(s.Role)} (role offsets).");
        }

        if (s.PositionStart + n > Config.MaxSequenceLength)
        {
            throw new EngineInputException(s.PositionStart == 0
                ? $"Segment {index} has {n} tokens; this model takes at most {Config.MaxSequenceLength}. Truncate or split the text."
                : $"Segment {index} ends at position {s.PositionStart + n}; this model has {Config.MaxSequenceLength} positions. Shorten the earlier segments or this one.");
        }

        int vocab = Config.VocabSize;
        int pad = Config.PadTokenId;
        bool checkPad = Config.Architecture == EncoderArchitecture.Roberta;
        for (int t = 0; t < n; t++)
        {
            int id = s.TokenIds[t];
            if ((uint)id >= (uint)vocab)
            {
                throw new EngineInputException($"Segment {index}, token {t}: id {id} is outside the vocabulary (0..{vocab - 1}). Was the text tokenized with this model's tokenizer?");
            }

            // RoBERTa derives positions from non-padding tokens; a padding id inside a segment would shift them.
            if (checkPad && id == pad)
            {
                throw new EngineInputException($"Segment {index}, token {t}: id {id} is the padding token; segments must not contain padding.");
            }
        }
    }

    private int ValidateJoint(IReadOnlyList<TowerState> seq, int index)
    {
        if (seq is null || seq.Count == 0)
        {
            throw new EngineInputException($"Joint sequence {index} has no segments; pass at least one tower state.");
        }

        if (seq.Count > MaxSegments)
        {
            throw new EngineInputException($"Joint sequence {index} has {seq.Count} segments; at most {MaxSegments} are allowed. Split the request.");
        }

        int n = 0;
        for (int j = 0; j < seq.Count; j++)
        {
            TowerState s = seq[j] ?? throw new EngineInputException($"Joint sequence {index}, segment {j} is null.");
            if (s.HiddenSize != Config.HiddenSize)
            {
                throw new EngineInputException($"Joint sequence {index}, segment {j}: tower state has hidden size {s.HiddenSize}, this model has {Config.HiddenSize}. It was computed by another model.");
            }

            if (Config.PositionMode != PositionMode.Continuous && s.PositionStart != PositionStartFor(s.Role))
            {
                throw new EngineInputException($"Joint sequence {index}, segment {j}: its tower was computed at position start {s.PositionStart}, but this model starts a {s.Role} segment at {PositionStartFor(s.Role)}.");
            }

            if (Config.PositionMode == PositionMode.Continuous && s.PositionStart != n)
            {
                throw new EngineInputException($"Joint sequence {index}, segment {j}: its tower was computed at position start {s.PositionStart}, but it follows {n} tokens here. With continuous positions, recompute the tower with position start {n}.");
            }

            n += s.TokenCount;
        }

        if (n > MaxJointTokens)
        {
            throw new EngineInputException($"Joint sequence {index} has {n} tokens; at most {MaxJointTokens} are allowed. Use fewer or shorter segments.");
        }

        return n;
    }

    /// <summary>Tiered JIT starts kernels unoptimised; a few short passes let it promote them before the first request (DESIGN.md §5).</summary>
    private void WarmUp()
    {
        int n = Math.Min(16, Config.MaxSequenceLength);
        int id = Config.PadTokenId == 0 ? 1 % Config.VocabSize : 0;
        var ids = new int[n];
        Array.Fill(ids, id);
        Segment[] segments = Config.PositionMode == PositionMode.Continuous
            ? [Segment.First(ids[..(n / 2)]), Segment.Other(ids[(n / 2)..], n / 2)]
            : [Segment.First(ids[..(n / 2)]), Segment.Other(ids[(n / 2)..], PositionStartFor(SegmentRole.Other))];
        var clock = Stopwatch.StartNew();
        for (int i = 0; (i < 40 || clock.ElapsedMilliseconds < 300) && clock.ElapsedMilliseconds < 2000; i++)
        {
            Encode(segments);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _encoder.Dispose();
        }
    }

    /// <summary>Adapter from the checkpoint readers' dictionary.</summary>
    private sealed class LoadedTensorSource(IReadOnlyDictionary<string, LoadedTensor> tensors) : ITensorSource
    {
        public IEnumerable<string> Names => tensors.Keys;

        public bool TryGet(string name, out int[] shape, out float[] values)
        {
            if (tensors.TryGetValue(name, out LoadedTensor? t))
            {
                shape = t.Shape;
                values = t.Values;
                return true;
            }

            shape = [];
            values = [];
            return false;
        }
    }
}
