using Xunit;
using System.Text.Json;
using Lait.Engine.Config;
using Lait.Engine.Heads;
using Lait.Engine.Kernels;
using Lait.Engine.Model;
using Lait.Engine.Tests.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Model;

/// <summary>
/// The engine against the independent float64 torch reference (masked-attention LAIT) on tiny random
/// BERT / RoBERTa / DistilBERT / ELECTRA models: tower states after layer P, final hidden states and
/// head outputs, for P in {0, 1, L-1, L}, both position modes, a ragged batch of 1-3 segment sequences.
/// </summary>
public class EncoderGoldenTests
{
    public static TheoryData<string, int> Cases() => EncoderGoldens.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void TowersJointAndHeads_MatchTorchReference(string modelName, int caseIndex)
    {
        JsonElement golden = EncoderGoldens.Model(modelName).GetProperty("cases")[caseIndex];
        int p = golden.GetProperty("tower_layers").GetInt32();
        PositionMode mode = golden.GetProperty("position_mode").GetString() == "per_segment" ? PositionMode.PerSegment : PositionMode.Continuous;
        using LaitModel model = EncoderGoldens.Load(modelName, p, mode);
        CheckBatch(model, golden.GetProperty("sequences"), $"{modelName} P={p} {mode}", checkTowers: true);
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void SplitApiAtP0_ReproducesTheStockModel(string modelName)
    {
        // The "stock" goldens come from a plain forward with HF's own input conventions (no LAIT code).
        using LaitModel model = EncoderGoldens.Load(modelName, 0, PositionMode.Continuous);
        CheckBatch(model, EncoderGoldens.Model(modelName).GetProperty("stock"), $"{modelName} stock", checkTowers: false);
    }

    public static TheoryData<GemmBackend> AllBackends()
    {
        TheoryData<GemmBackend> data = GemmTests.ManagedBackends();
        if (OpenBlasGemm.IsAvailable)
        {
            data.Add(GemmBackend.OpenBlas);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllBackends))]
    public void EveryGemmBackend_GivesTheReferenceOutputs(GemmBackend backend)
    {
        JsonElement golden = EncoderGoldens.Model("bert-cls").GetProperty("cases")[1]; // P=1, continuous
        using LaitModel model = EncoderGoldens.Load("bert-cls", golden.GetProperty("tower_layers").GetInt32(), PositionMode.Continuous, backend);
        Assert.Equal(backend, model.GemmBackend);
        CheckBatch(model, golden.GetProperty("sequences"), $"bert-cls {backend}", checkTowers: true);
    }

    public static TheoryData<string> ModelNames() => new(EncoderGoldens.ModelNames());

    private static void CheckBatch(LaitModel model, JsonElement sequences, string what, bool checkTowers)
    {
        double tol = EncoderGoldens.Tolerance;
        int h = model.HiddenSize;
        Segment[][] batch = sequences.EnumerateArray().Select(EncoderGoldens.Segments).ToArray();

        // Towers of every segment of every sequence in one ragged pass, then all joints in one pass.
        TowerState[] towers = model.Towers(batch.SelectMany(s => s).ToArray());
        var grouped = new List<IReadOnlyList<TowerState>>();
        int k = 0;
        foreach (Segment[] seq in batch)
        {
            grouped.Add(towers[k..(k + seq.Length)]);
            k += seq.Length;
        }

        JointOutput[] outputs = model.Joint(grouped);
        int index = 0;
        foreach (JsonElement expected in sequences.EnumerateArray())
        {
            JointOutput output = outputs[index];
            string at = $"{what} seq {index}";
            if (checkTowers)
            {
                int j = 0;
                foreach (JsonElement towerRows in expected.GetProperty("towers").EnumerateArray())
                {
                    TowerState t = grouped[index][j];
                    Reference.AssertClose(EncoderGoldens.Values(towerRows), EncoderGoldens.SampleRows(t.Values, t.TokenCount, h), tol, $"{at} tower {j}");
                    j++;
                }
            }

            Reference.AssertClose(EncoderGoldens.Values(expected.GetProperty("hidden")), EncoderGoldens.SampleRows(output.Hidden, output.TokenCount, h), tol, $"{at} hidden");
            if (expected.TryGetProperty("logits", out JsonElement logits))
            {
                ClassificationResult r = model.Classify(output);
                Reference.AssertClose(EncoderGoldens.Values(logits), r.Logits, tol, $"{at} logits");
                Assert.Equal(1.0, r.Probabilities.Sum(), 5);
            }

            if (expected.TryGetProperty("start", out JsonElement start))
            {
                SpanLogits span = model.AnswerSpan(output);
                Reference.AssertClose(EncoderGoldens.Values(start), span.Start, tol, $"{at} start");
                Reference.AssertClose(EncoderGoldens.Values(expected.GetProperty("end")), span.End, tol, $"{at} end");
            }

            if (expected.TryGetProperty("pooled_cls", out JsonElement cls))
            {
                Reference.AssertClose(EncoderGoldens.Values(cls), model.Embed(output, PoolingMode.Cls), tol, $"{at} cls");
                Reference.AssertClose(EncoderGoldens.Values(expected.GetProperty("pooled_mean")), model.Embed(output, PoolingMode.Mean), tol, $"{at} mean");
            }

            index++;
        }
    }
}
