using Xunit;
using Lait.Engine.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Kernels;

public class NormalizationTests
{
    [Theory]
    [InlineData(384)] // vector path
    [InlineData(100)] // width not a multiple of 16: portable path
    public void AddLayerNorm_MatchesDoubleReference(int n)
    {
        float[] x = Reference.Random(n, 1, 3f);
        float[] residual = Reference.Random(n, 2, 3f);
        float[] gamma = Reference.Random(n, 3);
        float[] beta = Reference.Random(n, 4);
        var expected = new double[n];
        double mean = 0;
        for (int i = 0; i < n; i++)
        {
            mean += (double)x[i] + residual[i];
        }

        mean /= n;
        double variance = 0;
        for (int i = 0; i < n; i++)
        {
            double d = (double)x[i] + residual[i] - mean;
            variance += d * d;
        }

        variance /= n;
        for (int i = 0; i < n; i++)
        {
            expected[i] = ((double)x[i] + residual[i] - mean) / Math.Sqrt(variance + 1e-12) * gamma[i] + beta[i];
        }

        Normalization.AddLayerNorm(x, residual, gamma, beta, 1e-12f, residual); // in place over the residual, as the encoder does
        Reference.AssertClose(expected, residual, 1e-5, "LayerNorm");
    }

    [Fact]
    public void ScaledSoftmax_MatchesReference_AndZeroesMaskedKeys()
    {
        float[] row = Reference.Random(40, 9, 20f);
        float[] original = (float[])row.Clone();
        const int valid = 29;
        const float scale = 0.125f;
        Normalization.ScaledSoftmax(row, scale, valid);
        double max = original.Take(valid).Max();
        double sum = original.Take(valid).Sum(v => Math.Exp(scale * (v - max)));
        var expected = new double[40];
        for (int i = 0; i < valid; i++)
        {
            expected[i] = Math.Exp(scale * (original[i] - max)) / sum;
        }

        Reference.AssertClose(expected, row, 1e-6, "softmax");
        Assert.All(row[valid..], v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(7, 37)] // one block of four rows, three rows alone; vector path with a tail
    [InlineData(5, 5)] // rows too short for the vector path
    public void ScaledSoftmaxRows_MatchesReferenceOnEveryRow(int rows, int n)
    {
        float[] scores = Reference.Random(rows * n, 12, 20f);
        float[] original = (float[])scores.Clone();
        const float scale = 0.17f;
        Normalization.ScaledSoftmaxRows(scores, rows, n, scale);
        var expected = new double[rows * n];
        for (int r = 0; r < rows; r++)
        {
            var row = original.AsSpan(r * n, n).ToArray();
            double max = row.Max();
            double sum = row.Sum(v => Math.Exp(scale * (v - max)));
            for (int i = 0; i < n; i++)
            {
                expected[r * n + i] = Math.Exp(scale * (row[i] - max)) / sum;
            }
        }

        Reference.AssertClose(expected, scores, 1e-6, "softmax rows");
    }

    [Fact]
    public void ScaledSoftmax_WithHugeSpread_UnderflowsToZeroWithoutNaN()
    {
        var row = new float[33];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = i % 2 == 0 ? -1e30f : 50f - i;
        }

        Normalization.ScaledSoftmax(row, 1f, row.Length);
        Assert.All(row, v => Assert.True(float.IsFinite(v) && v >= 0));
        Assert.Equal(0f, row[0]);
        Assert.Equal(1.0, row.Sum(), 5);
        Assert.Equal(1 / (1 + Math.Exp(-2) / (1 - Math.Exp(-2))), row[1], 5); // geometric series over the odd entries
    }

    [Fact]
    public void ScaledSoftmax_RejectsAFullyMaskedRow()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Normalization.ScaledSoftmax(new float[4], 1f, 0));
    }
}
