using Lait.Store.Ids;

namespace Lait.Store.Tests.Support;

/// <summary>Synthetic tower states shaped like BERT layer outputs.</summary>
internal static class TestStates
{
    public const string Model = "sha256:test-model-weights";
    public const string Tokenizer = "sha256:test-vocab";

    public static SegmentKey Key(int seed, int tokens, int p = 3, SegmentRole role = SegmentRole.Other)
    {
        var rng = new Random(seed);
        var ids = new int[tokens];
        ids[0] = 101;
        for (int i = 1; i < tokens - 1; i++)
            ids[i] = rng.Next(1000, 30_000);
        ids[^1] = 102;
        return new SegmentKey(Model, p, Tokenizer, PositionMode.PerSegment, role, ids);
    }

    /// <summary>
    /// Post-LayerNorm-like rows: N(0, 0.6) per dimension with per-dimension gain in [0.5, 1.5] and two
    /// outlier dimensions of magnitude 6..14, as BERT hidden states have.
    /// </summary>
    public static float[] RealisticValues(int seed, int tokens, int hidden)
    {
        var rng = new Random(seed);
        var gain = new float[hidden];
        for (int d = 0; d < hidden; d++)
            gain[d] = 0.5f + (float)rng.NextDouble();
        int outlierA = hidden / 3, outlierB = (2 * hidden) / 3;
        var values = new float[tokens * hidden];
        for (int t = 0; t < tokens; t++)
        {
            for (int d = 0; d < hidden; d++)
                values[t * hidden + d] = (float)(Gaussian(rng) * 0.6 * gain[d]);
            values[t * hidden + outlierA] = (float)(-6 - 8 * rng.NextDouble());
            values[t * hidden + outlierB] = (float)(6 + 8 * rng.NextDouble());
        }
        return values;
    }

    public static SegmentState State(int seed, int tokens = 32, int hidden = 384) =>
        new(Key(seed, tokens), hidden, RealisticValues(seed, tokens, hidden));

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
