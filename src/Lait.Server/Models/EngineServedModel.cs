using Lait.Engine.Config;
using Lait.Engine.Model;
using Lait.Engine.Tokenization;
using EngineHead = Lait.Engine.Config.HeadKind;
using EngineRole = Lait.Engine.Model.SegmentRole;
using StoreMode = Lait.Store.Ids.PositionMode;
using StoreRole = Lait.Store.Ids.SegmentRole;

namespace Lait.Server.Models;

/// <summary>
/// A model folder in the Hugging Face layout served through Lait.Engine: its tokenizer frames
/// segments by role ([CLS] only on the first, [SEP] ending every one, DESIGN.md §4), its towers and
/// joint layers do the compute.
/// </summary>
public sealed class EngineServedModel : IServedModel, IDisposable
{
    private readonly LaitModel _model;
    private readonly ITokenizer _tokenizer;
    private readonly SpecialTokenIds _special;
    // Byte-level BPE (RoBERTa) frames a later segment as </s> text </s>, as its pair input does.
    private readonly bool _separatorBeforeOther;

    private EngineServedModel(string name, LaitModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
        _special = tokenizer.SpecialTokens;
        _separatorBeforeOther = tokenizer.Kind == TokenizerKind.ByteLevelBpe;
        var c = model.Config;
        Description = new ModelDescription(
            Name: name,
            Architecture: c.Architecture.ToString().ToLowerInvariant(),
            NumLayers: c.NumLayers,
            TowerLayers: c.TowerLayers,
            HiddenSize: c.HiddenSize,
            NumHeads: c.NumHeads,
            VocabSize: c.VocabSize,
            MaxPositions: c.MaxSequenceLength,
            PositionMode: c.PositionMode switch
            {
                PositionMode.PerSegment => StoreMode.PerSegment,
                PositionMode.RoleOffset => StoreMode.RoleOffset,
                _ => StoreMode.Continuous,
            },
            Labels: c.Labels,
            HasClassificationHead: c.Head == EngineHead.SequenceClassification,
            HasSpanHead: c.Head == EngineHead.QuestionAnswering,
            Fingerprint: model.Fingerprint,
            TokenizerFingerprint: tokenizer.Fingerprint);
    }

    /// <summary>Loads config, weights and tokenizer from <paramref name="modelDir"/>.</summary>
    public static EngineServedModel Load(string name, string modelDir, EngineOptions? options = null)
    {
        var model = LaitModel.Load(modelDir, options);
        var tokenizer = model.Tokenizer;
        if (tokenizer is null)
        {
            model.Dispose();
            throw new InvalidDataException($"model '{name}' in {modelDir} has no tokenizer (vocab.txt, tokenizer.json or vocab.json + merges.txt)");
        }
        if (tokenizer.Vocabulary.Count > model.Config.VocabSize)
        {
            model.Dispose();
            throw new InvalidDataException(
                $"model '{name}' in {modelDir}: the tokenizer has {tokenizer.Vocabulary.Count} tokens but the model only {model.Config.VocabSize} embeddings");
        }
        return new EngineServedModel(name, model, tokenizer);
    }

    public ModelDescription Description { get; }

    public TokenizedSegment Tokenize(string text, StoreRole role, bool truncate)
    {
        TokenSpan[] spans;
        try
        {
            spans = _tokenizer.Encode(text);
        }
        catch (ArgumentException ex)
        {
            throw new ModelInputException($"text is not valid Unicode ({ex.Message})");
        }
        if (spans.Length == 0) throw new ModelInputException("text has no tokens (only whitespace or control characters)");
        int keep = Fit(spans.Length, role, truncate);
        var ids = new int[keep + Specials(role)];
        var offsets = new (int Start, int End)[ids.Length];
        int at = WritePrefix(ids, role);
        for (int i = 0; i < keep; i++)
        {
            ids[at] = spans[i].Id;
            offsets[at++] = (spans[i].Start, spans[i].End);
        }
        ids[at] = _special.Sep;
        return new TokenizedSegment(ids, offsets, role, keep < spans.Length);
    }

    public TokenizedSegment FromTokenIds(ReadOnlySpan<int> tokenIds, StoreRole role, bool truncate)
    {
        int vocab = Description.VocabSize;
        for (int i = 0; i < tokenIds.Length; i++)
        {
            if ((uint)tokenIds[i] >= (uint)vocab)
            {
                throw new ModelInputException($"token id {tokenIds[i]} at position {i} is outside the vocabulary (0..{vocab - 1})");
            }
        }
        int keep = Fit(tokenIds.Length, role, truncate);
        var ids = new int[keep + Specials(role)];
        int at = WritePrefix(ids, role);
        tokenIds[..keep].CopyTo(ids.AsSpan(at));
        ids[^1] = _special.Sep;
        return new TokenizedSegment(ids, new (int, int)[ids.Length], role, keep < tokenIds.Length);
    }

    private int Specials(StoreRole role) => role == StoreRole.First || _separatorBeforeOther ? 2 : 1;

    // [CLS] before the first segment (<s> for RoBERTa), </s> before a later one for byte-level BPE.
    private int WritePrefix(int[] ids, StoreRole role)
    {
        if (role == StoreRole.First)
        {
            ids[0] = _special.Cls;
            return 1;
        }
        if (_separatorBeforeOther)
        {
            ids[0] = _special.Sep;
            return 1;
        }
        return 0;
    }

    // How many content tokens a segment keeps once its special tokens are counted.
    private int Fit(int tokens, StoreRole role, bool truncate)
    {
        // The engine owns where a role starts (role offsets leave a later segment fewer positions).
        int budget = Description.MaxSegmentTokens - _model.PositionStartFor(ToEngine(role)) - Specials(role);
        if (tokens <= budget) return tokens;
        if (truncate) return budget;
        throw new ModelInputException(
            $"segment has {tokens} tokens; model '{Description.Name}' takes at most {budget} per segment besides [CLS]/[SEP]: " +
            "shorten it, split it, or ask for truncation", exceedsLimit: true);
    }

    public float[][] Tower(IReadOnlyList<TokenizedSegment> segments)
    {
        var input = new Segment[segments.Count];
        for (int i = 0; i < input.Length; i++)
        {
            EngineRole role = ToEngine(segments[i].Role);
            input[i] = new Segment(role, segments[i].TokenIds, _model.PositionStartFor(role));
        }
        var states = Run(() => _model.Towers(input));
        var values = new float[states.Length][];
        for (int i = 0; i < values.Length; i++) values[i] = states[i].Values;
        return values;
    }

    public HeadOutput[] Joint(IReadOnlyList<IReadOnlyList<SegmentTensor>> sequences, Models.HeadKind head)
    {
        int hidden = Description.HiddenSize;
        var joint = new IReadOnlyList<TowerState>[sequences.Count];
        for (int q = 0; q < sequences.Count; q++)
        {
            var sequence = sequences[q];
            int tokens = 0;
            foreach (var s in sequence) tokens += s.TokenIds.Length;
            if (tokens > _model.MaxJointTokens)
            {
                throw new ModelInputException(
                    $"the combined sequence has {tokens} tokens; model '{Description.Name}' joins at most {_model.MaxJointTokens}: use fewer or shorter segments",
                    exceedsLimit: true);
            }
            joint[q] = Description.PositionMode == StoreMode.Continuous
                ? RecomputeAtPositions(sequence)
                : sequence.Select(s => new TowerState(ToEngine(s.Role), _model.PositionStartFor(ToEngine(s.Role)), s.TokenIds.Length, hidden, s.State)).ToArray();
        }
        var outputs = Run(() => _model.Joint(joint));
        var results = new HeadOutput[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            if (head == Models.HeadKind.SpanExtraction)
            {
                var span = _model.AnswerSpan(outputs[i]);
                results[i] = new HeadOutput([], span.Start, span.End);
            }
            else
            {
                results[i] = new HeadOutput(_model.Classify(outputs[i]).Logits, null, null);
            }
        }
        return results;
    }

    // Under continuous positions a tower depends on where its segment starts in the joint sequence;
    // stored states were computed at position 0, so every later segment is re-run from its token ids.
    private TowerState[] RecomputeAtPositions(IReadOnlyList<SegmentTensor> sequence)
    {
        var segments = new Segment[sequence.Count];
        int position = 0;
        for (int i = 0; i < segments.Length; i++)
        {
            segments[i] = new Segment(ToEngine(sequence[i].Role), sequence[i].TokenIds, position);
            position += sequence[i].TokenIds.Length;
        }
        return Run(() => _model.Towers(segments));
    }

    private static T Run<T>(Func<T> compute)
    {
        try
        {
            return compute();
        }
        catch (EngineInputException ex)
        {
            throw new ModelInputException(ex.Message);
        }
    }

    private static EngineRole ToEngine(StoreRole role) => role == StoreRole.First ? EngineRole.First : EngineRole.Other;

    public void Dispose() => _model.Dispose();
}
