using Xunit;
using System.Text.Json;
using Lait.Engine.Checkpoints;
using Lait.Engine.Config;
using Lait.Engine.Kernels;
using Lait.Engine.Model;
using Lait.Engine.Tests.Checkpoints;

namespace Lait.Engine.Tests.Model;

/// <summary>tests/golden/encoder/goldens.json (written by make_goldens.py from a float64 torch reference).</summary>
public static class EncoderGoldens
{
    private static readonly Lazy<JsonDocument> s_doc = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.Golden("encoder", "goldens.json"))));

    public static double Tolerance => s_doc.Value.RootElement.GetProperty("tolerance").GetDouble();

    public static string ModelDir(string name) => RepoPaths.Golden("encoder", name);

    public static JsonElement Model(string name)
    {
        foreach (JsonElement m in s_doc.Value.RootElement.GetProperty("models").EnumerateArray())
        {
            if (m.GetProperty("dir").GetString() == name)
            {
                return m;
            }
        }

        throw new InvalidOperationException($"No golden model '{name}'.");
    }

    public static IEnumerable<string> ModelNames() =>
        s_doc.Value.RootElement.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("dir").GetString()!);

    /// <summary>(model, case index) pairs for every golden case.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in ModelNames())
        {
            int count = Model(name).GetProperty("cases").GetArrayLength();
            for (int i = 0; i < count; i++)
            {
                data.Add(name, i);
            }
        }

        return data;
    }

    /// <summary>Loads a golden model with its config's LAIT settings replaced (weights read once per model dir).</summary>
    public static LaitModel Load(string name, int towerLayers, PositionMode mode, GemmBackend backend = GemmBackend.Auto, int otherPositionStart = 0)
    {
        string dir = ModelDir(name);
        EncoderConfig config = EncoderConfigReader.FromDirectory(dir) with { TowerLayers = towerLayers, PositionMode = mode, OtherPositionStart = otherPositionStart };
        var tensors = CheckpointLoader.LoadDirectory(dir).ToDictionary(kv => kv.Key, kv => (kv.Value.Shape, kv.Value.Values));
        return LaitModel.Create(config, new DictionaryTensorSource(tensors), "golden-" + name,
            new EngineOptions { Gemm = backend, WarmUp = false, Threads = 2 });
    }

    public static Segment[] Segments(JsonElement sequence) =>
        sequence.GetProperty("segments").EnumerateArray().Select(s => new Segment(
            s.GetProperty("role").GetString() == "first" ? SegmentRole.First : SegmentRole.Other,
            s.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            s.GetProperty("position_start").GetInt32())).ToArray();

    public static double[] Values(JsonElement element) => element.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    /// <summary>The goldens keep rows 0, n/2 and n-1 of each [n x H] state.</summary>
    public static float[] SampleRows(ReadOnlySpan<float> states, int n, int hidden)
    {
        var sampled = new float[3 * hidden];
        int[] rows = [0, n / 2, n - 1];
        for (int i = 0; i < 3; i++)
        {
            states.Slice(rows[i] * hidden, hidden).CopyTo(sampled.AsSpan(i * hidden));
        }

        return sampled;
    }
}
