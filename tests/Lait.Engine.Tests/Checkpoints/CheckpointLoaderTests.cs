using System.Text.Json;
using Lait.Engine.Checkpoints;
using Xunit;

namespace Lait.Engine.Tests.Checkpoints;

/// <summary>Reads the fixtures written by tests/golden/checkpoints/make_checkpoints.py (torch 1.13 and a
/// hand-written safetensors writer) and checks every value exactly.</summary>
public sealed class CheckpointLoaderTests
{
    private static readonly string s_goldenDir = RepoPaths.Golden("checkpoints");

    public static TheoryData<string> Folders => new() { "f32", "f16", "bf16", "sharded", "torch" };

    [Theory]
    [MemberData(nameof(Folders))]
    public void LoadDirectory_MatchesTorchValuesExactly(string folder)
    {
        IReadOnlyDictionary<string, LoadedTensor> tensors = CheckpointLoader.LoadDirectory(Path.Combine(s_goldenDir, folder));
        Dictionary<string, (int[] Shape, float[] Values)> expected = LoadExpected(folder);

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach ((string name, (int[] shape, float[] values)) in expected)
        {
            LoadedTensor tensor = tensors[name];
            Assert.Equal(name, tensor.Name);
            Assert.Equal(shape, tensor.Shape);
            Assert.Equal(values.Length, tensor.Values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                // Bit-exact: fp16/bf16 widen to fp32 without rounding.
                Assert.True(BitConverter.SingleToInt32Bits(values[i]) == BitConverter.SingleToInt32Bits(tensor.Values[i]),
                    $"{folder}/{name}[{i}]: expected {values[i]:R}, got {tensor.Values[i]:R}");
            }
        }
    }

    [Fact]
    public void TorchZip_NonContiguousView_IsReadInRowMajorOrder()
    {
        LoadedTensor t = CheckpointLoader.LoadFile(Path.Combine(s_goldenDir, "torch", "pytorch_model.bin"))["transposed.weight"];
        float[] expected = LoadExpected("torch")["transposed.weight"].Values;
        Assert.Equal(new[] { 3, 4 }, t.Shape);
        Assert.Equal(expected, t.Values);
    }

    [Fact]
    public void TorchZip_TwoViewsOfOneStorage_AreIndependentCopies()
    {
        IReadOnlyDictionary<string, LoadedTensor> tensors = CheckpointLoader.LoadFile(Path.Combine(s_goldenDir, "torch", "pytorch_model.bin"));
        Assert.NotSame(tensors["shared.first"].Values, tensors["shared.second"].Values);
        Assert.Equal(LoadExpected("torch")["shared.second"].Values, tensors["shared.second"].Values);
    }

    [Fact]
    public void IntegerPositionIds_AreConvertedExactly()
    {
        LoadedTensor t = CheckpointLoader.LoadDirectory(Path.Combine(s_goldenDir, "f32"))["embeddings.position_ids"];
        Assert.Equal(new[] { 1, 6 }, t.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 3, 4, 5 }, t.Values);
    }

    [Fact]
    public void Fingerprint_IsStableAndDiffersBetweenModels()
    {
        string f32 = CheckpointLoader.Fingerprint(Path.Combine(s_goldenDir, "f32"));
        Assert.Equal(64, f32.Length);
        Assert.Equal(f32, CheckpointLoader.Fingerprint(Path.Combine(s_goldenDir, "f32")));
        Assert.NotEqual(f32, CheckpointLoader.Fingerprint(Path.Combine(s_goldenDir, "f16")));
        Assert.NotEqual(f32, CheckpointLoader.Fingerprint(Path.Combine(s_goldenDir, "sharded")));
    }

    [Fact]
    public void Fingerprint_ChangesWhenOneWeightByteChanges()
    {
        using var dir = new TempDir();
        File.Copy(Path.Combine(s_goldenDir, "f32", "model.safetensors"), Path.Combine(dir.Path, "model.safetensors"));
        string before = CheckpointLoader.Fingerprint(dir.Path);
        byte[] bytes = File.ReadAllBytes(Path.Combine(dir.Path, "model.safetensors"));
        bytes[^1] ^= 1;
        File.WriteAllBytes(Path.Combine(dir.Path, "model.safetensors"), bytes);
        Assert.NotEqual(before, CheckpointLoader.Fingerprint(dir.Path));
    }

    [Fact]
    public void ShardedIndex_ListsShardFilesInNameOrder()
    {
        IReadOnlyList<string> files = CheckpointLoader.WeightFiles(Path.Combine(s_goldenDir, "sharded"));
        Assert.Equal(new[] { "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" }, files.Select(Path.GetFileName));
    }

    internal static Dictionary<string, (int[] Shape, float[] Values)> LoadExpected(string folder)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(s_goldenDir, "expected.json")));
        var result = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (JsonProperty tensor in doc.RootElement.GetProperty(folder).EnumerateObject())
        {
            int[] shape = tensor.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            float[] values = tensor.Value.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
            result[tensor.Name] = (shape, values);
        }

        return result;
    }
}
