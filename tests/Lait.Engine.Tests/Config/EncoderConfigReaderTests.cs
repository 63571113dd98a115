using Xunit;
using Lait.Engine.Config;
using Lait.Engine.Tests.Checkpoints;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Config;

public class EncoderConfigReaderTests
{
    [SharedDataFact("models/all-MiniLM-L6-v2.tokenizer-only/config.json")]
    public void RealMiniLmConfig_ParsesAsSixLayerBertWithStockLaitDefaults()
    {
        EncoderConfig c = EncoderConfigReader.FromDirectory(Path.Combine(RepoPaths.SharedOrNull!, "models", "all-MiniLM-L6-v2.tokenizer-only"));
        Assert.Equal(EncoderArchitecture.Bert, c.Architecture);
        Assert.Equal(HeadKind.None, c.Head);
        Assert.Equal((384, 6, 12, 1536, 30522, 512), (c.HiddenSize, c.NumLayers, c.NumHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings));
        Assert.Equal(Activation.Gelu, c.HiddenActivation);
        Assert.Equal(1e-12f, c.LayerNormEps);
        Assert.Equal(0, c.TowerLayers);
        Assert.Equal(PositionMode.Continuous, c.PositionMode);
        Assert.Equal(512, c.MaxSequenceLength);
    }

    [Fact]
    public void Roberta_OffsetsPositionsByPaddingIdxPlusOne()
    {
        EncoderConfig c = EncoderConfigReader.FromDirectory(RepoPaths.Golden("encoder", "roberta-cls"));
        Assert.Equal(EncoderArchitecture.Roberta, c.Architecture);
        Assert.Equal(1, c.PadTokenId);
        Assert.Equal(2, c.PositionOffset);
        Assert.Equal(c.MaxPositionEmbeddings - 2, c.MaxSequenceLength);
        Assert.Equal(["NEGATIVE", "POSITIVE"], c.Labels);
        Assert.Equal(HeadKind.SequenceClassification, c.Head);
    }

    [Fact]
    public void DistilBert_ReadsItsOwnKeyNamesAndHasNoTokenTypes()
    {
        EncoderConfig c = EncoderConfigReader.FromJson("""
            { "architectures": ["DistilBertForQuestionAnswering"], "model_type": "distilbert", "vocab_size": 30522,
              "dim": 768, "n_layers": 6, "n_heads": 12, "hidden_dim": 3072, "activation": "gelu", "max_position_embeddings": 512 }
            """);
        Assert.Equal(EncoderArchitecture.DistilBert, c.Architecture);
        Assert.Equal(HeadKind.QuestionAnswering, c.Head);
        Assert.Equal((768, 6, 12, 3072), (c.HiddenSize, c.NumLayers, c.NumHeads, c.IntermediateSize));
        Assert.Equal(0, c.TypeVocabSize);
    }

    [Fact]
    public void Electra_KeepsASmallerEmbeddingSize()
    {
        EncoderConfig c = EncoderConfigReader.FromDirectory(RepoPaths.Golden("encoder", "electra-cls"));
        Assert.Equal(EncoderArchitecture.Electra, c.Architecture);
        Assert.Equal(16, c.EmbeddingSize);
        Assert.Equal(32, c.HiddenSize);
    }

    [Fact]
    public void LaitSection_SetsTowerLayersAndPositionMode()
    {
        EncoderConfig c = EncoderConfigReader.FromDirectory(RepoPaths.Golden("encoder", "minilm-embed"));
        Assert.Equal(1, c.TowerLayers);
        Assert.Equal(PositionMode.PerSegment, c.PositionMode);
        Assert.Equal(HeadKind.None, c.Head);
    }

    [Fact]
    public void RoleOffsetMode_ReadsWhereOtherSegmentsStart()
    {
        EncoderConfig c = EncoderConfigReader.FromJson("""
            { "model_type": "bert", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 16, "max_position_embeddings": 64,
              "lait": { "tower_layers": 1, "position_mode": "role_offset", "other_position_start": 16 } }
            """);
        Assert.Equal(PositionMode.RoleOffset, c.PositionMode);
        Assert.Equal(16, c.OtherPositionStart);
    }

    [Fact]
    public void RoleOffsetMode_WithoutItsStart_IsAClearError()
    {
        var e = Assert.Throws<ModelConfigException>(() => EncoderConfigReader.FromJson("""
            { "model_type": "bert", "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
              "intermediate_size": 16, "max_position_embeddings": 64, "lait": { "tower_layers": 1, "position_mode": "role_offset" } }
            """));
        Assert.Contains("other_position_start", e.Message);
    }

    [Theory]
    [InlineData("\"model_type\": \"gpt2\"", "model_type 'gpt2' is not supported")]
    [InlineData("\"model_type\": \"bert\", \"hidden_act\": \"mish\"", "activation 'mish' is not supported")]
    [InlineData("\"model_type\": \"bert\", \"architectures\": [\"BertForTokenClassification\"]", "head 'BertForTokenClassification' is not supported")]
    [InlineData("\"model_type\": \"bert\", \"lait\": { \"tower_layers\": 3 }", "lait.tower_layers is 3")]
    [InlineData("\"model_type\": \"bert\", \"lait\": { \"position_mode\": \"sideways\" }", "position_mode 'sideways'")]
    [InlineData("\"model_type\": \"bert\", \"position_embedding_type\": \"relative_key\"", "position_embedding_type 'relative_key'")]
    [InlineData("\"model_type\": \"bert\", \"num_attention_heads\": 3", "not divisible by 3")]
    public void UnsupportedOrInconsistentConfig_FailsWithANamedReason(string overrides, string expectedMessage)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(
            "{ \"vocab_size\": 100, \"hidden_size\": 40, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"intermediate_size\": 64 }")!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse("{" + overrides + "}")!.AsObject())
        {
            json[key] = value?.DeepClone();
        }

        var e = Assert.Throws<ModelConfigException>(() => EncoderConfigReader.FromJson(json.ToJsonString()));
        Assert.Contains(expectedMessage, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRequiredKey_IsNamed()
    {
        var e = Assert.Throws<ModelConfigException>(() => EncoderConfigReader.FromJson("{ \"model_type\": \"bert\", \"vocab_size\": 10 }"));
        Assert.Contains("'hidden_size'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingConfigFile_SaysWhere()
    {
        var e = Assert.Throws<ModelConfigException>(() => EncoderConfigReader.FromDirectory("/nonexistent-model-dir"));
        Assert.Contains("config.json", e.Message, StringComparison.Ordinal);
    }
}
