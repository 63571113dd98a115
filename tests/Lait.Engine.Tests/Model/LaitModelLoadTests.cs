using Xunit;
using Lait.Engine.Config;
using Lait.Engine.Model;

namespace Lait.Engine.Tests.Model;

public class LaitModelLoadTests
{
    private static readonly EngineOptions NoWarmUp = new() { WarmUp = false };

    [Fact]
    public void Load_ReadsConfigAndWeights_AndGivesTheSameOutputsAsInMemoryCreation()
    {
        using LaitModel loaded = LaitModel.Load(EncoderGoldens.ModelDir("minilm-embed"), NoWarmUp);
        Assert.Equal(1, loaded.TowerLayers); // from the config's "lait" section
        Assert.Equal(PositionMode.PerSegment, loaded.PositionMode);
        Assert.Null(loaded.Tokenizer);
        Assert.Matches("^[0-9a-f]{64}$", loaded.Fingerprint);

        using LaitModel created = EncoderGoldens.Load("minilm-embed", 1, PositionMode.PerSegment);
        Segment[] pair = [Segment.First([2, 10, 20, 3]), Segment.Other([30, 31, 3])];
        Assert.Equal(created.Encode(pair).Hidden, loaded.Encode(pair).Hidden);
    }

    [Fact]
    public void Fingerprint_IsStable_AndChangesWithConfigOrWeights()
    {
        string source = EncoderGoldens.ModelDir("bert-qa");
        string copy = Path.Combine(Path.GetTempPath(), "lait-fingerprint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        try
        {
            foreach (string f in Directory.GetFiles(source))
            {
                File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
            }

            string original;
            using (LaitModel a = LaitModel.Load(source, NoWarmUp))
            using (LaitModel b = LaitModel.Load(copy, NoWarmUp))
            {
                original = a.Fingerprint;
                Assert.Equal(original, b.Fingerprint);
            }

            string configPath = Path.Combine(copy, "config.json");
            File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"layer_norm_eps\": 1e-12", "\"layer_norm_eps\": 1e-06", StringComparison.Ordinal));
            using (LaitModel c = LaitModel.Load(copy, NoWarmUp))
            {
                Assert.NotEqual(original, c.Fingerprint);
            }
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void MissingTensor_IsNamedAtLoad()
    {
        var tensors = Lait.Engine.Checkpoints.CheckpointLoader.LoadDirectory(EncoderGoldens.ModelDir("distilbert-cls"))
            .Where(kv => kv.Key != "distilbert.transformer.layer.1.ffn.lin2.weight")
            .ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Values));
        EncoderConfig config = EncoderConfigReader.FromDirectory(EncoderGoldens.ModelDir("distilbert-cls"));
        var e = Assert.Throws<ModelWeightsException>(() => LaitModel.Create(config, new DictionaryTensorSource(tensors), "x", NoWarmUp));
        Assert.Contains("distilbert.transformer.layer.1.ffn.lin2.weight", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongTensorShape_IsNamedAtLoad()
    {
        var tensors = Lait.Engine.Checkpoints.CheckpointLoader.LoadDirectory(EncoderGoldens.ModelDir("electra-cls"))
            .ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Values));
        EncoderConfig config = EncoderConfigReader.FromDirectory(EncoderGoldens.ModelDir("electra-cls")) with { IntermediateSize = 48 };
        var e = Assert.Throws<ModelWeightsException>(() => LaitModel.Create(config, new DictionaryTensorSource(tensors), "x", NoWarmUp));
        Assert.Contains("intermediate.dense.weight' has shape [64, 32] but config.json implies [48, 32]", e.Message, StringComparison.Ordinal);
    }
}
