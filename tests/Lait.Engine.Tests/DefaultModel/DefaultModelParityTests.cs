using System.Text.Json;
using Lait.Engine.Model;
using Lait.Engine.Tests.Checkpoints;
using Xunit;

namespace Lait.Engine.Tests.DefaultModel;

/// <summary>
/// The committed default model (models/lait-nli-minilm) run by our engine against the outputs PyTorch
/// produced for the same examples when the model was exported (training/export_goldens.py):
/// same tokens from our tokenizer, same tower states and logits from our tower/joint split.
/// </summary>
public sealed class DefaultModelParityTests : IDisposable
{
    // fp16 weights are widened to fp32 on both sides; the rest is fp32 arithmetic in a different order.
    private const float LogitTolerance = 2e-4f;
    private const float StateTolerance = 2e-4f;

    private static readonly string ModelDir = Path.Combine(RepoPaths.Root, "models", "lait-nli-minilm");
    private readonly LaitModel _model = LaitModel.Load(ModelDir, new EngineOptions { Threads = 1, WarmUp = false });

    // Two workers take the two-core paths: hidden 384 and intermediate 1536 are long enough for the
    // split-K projections into add+LayerNorm, which the tiny golden models never reach.
    private readonly LaitModel _twoThreads = LaitModel.Load(ModelDir, new EngineOptions { Threads = 2, WarmUp = false });
    private readonly JsonElement _goldens = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelDir, "goldens.json"))).RootElement;

    public void Dispose()
    {
        _model.Dispose();
        _twoThreads.Dispose();
    }

    [Fact]
    public void ConfigMatchesWhatTrainingRecorded()
    {
        Assert.Equal(_goldens.GetProperty("tower_layers").GetInt32(), _model.TowerLayers);
        Assert.Equal(_goldens.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!), _model.Labels);
    }

    [Fact]
    public void TokenizerGivesTheTrainingTokenIds()
    {
        foreach (var example in _goldens.GetProperty("examples").EnumerateArray())
        {
            var texts = example.GetProperty("segments").EnumerateArray().Select(s => s.GetString()!).ToArray();
            var expected = example.GetProperty("segment_token_ids").EnumerateArray().ToArray();
            for (int s = 0; s < texts.Length; s++)
            {
                int[] ids = expected[s].EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var framed = _model.Tokenize(texts[s], s == 0 ? SegmentRole.First : SegmentRole.Other, truncate: true).Segment.TokenIds;
                // Goldens list the content tokens; the engine adds [CLS] (first only) and [SEP].
                int start = s == 0 ? 1 : 0;
                Assert.Equal(ids, framed[start..^1]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TowerStatesAndLogitsMatchPyTorch(int threads)
    {
        LaitModel model = threads == 1 ? _model : _twoThreads;
        int examples = 0;
        foreach (var example in _goldens.GetProperty("examples").EnumerateArray())
        {
            var ids = example.GetProperty("segment_token_ids").EnumerateArray().Select(s => s.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
            var cls = model.Tokenizer!.SpecialTokens.Cls;
            var sep = model.Tokenizer!.SpecialTokens.Sep;
            var segments = new Segment[ids.Length];
            for (int s = 0; s < ids.Length; s++)
            {
                segments[s] = s == 0 ? Segment.First([cls, .. ids[s], sep]) : Segment.Other([.. ids[s], sep], model.PositionStartFor(SegmentRole.Other));
            }
            var towers = model.Towers(segments);
            var expectedHeads = example.GetProperty("tower_output_head").EnumerateArray().ToArray();
            for (int s = 0; s < segments.Length; s++)
            {
                var rows = expectedHeads[s].EnumerateArray().ToArray();
                for (int t = 0; t < rows.Length; t++)
                {
                    var cols = rows[t].EnumerateArray().Select(e => e.GetSingle()).ToArray();
                    for (int c = 0; c < cols.Length; c++)
                    {
                        Assert.True(Math.Abs(cols[c] - towers[s].Values[t * model.HiddenSize + c]) < StateTolerance,
                            $"example {example.GetProperty("id").GetString()} segment {s} token {t} dim {c}: torch {cols[c]}, engine {towers[s].Values[t * model.HiddenSize + c]}");
                    }
                }
            }
            var logits = model.Classify(model.Joint(towers)).Logits;
            var expected = example.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            for (int l = 0; l < expected.Length; l++)
            {
                Assert.True(Math.Abs(expected[l] - logits[l]) < LogitTolerance,
                    $"example {example.GetProperty("id").GetString()} logit {l}: torch {expected[l]}, engine {logits[l]}");
            }
            examples++;
        }
        Assert.True(examples >= 10, $"only {examples} golden examples");
    }
}
