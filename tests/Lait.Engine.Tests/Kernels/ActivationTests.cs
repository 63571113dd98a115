using Xunit;
using Lait.Engine.Config;
using Lait.Engine.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Kernels;

public class ActivationTests
{
    [Fact]
    public void Erf_IsWithin1e7OfSeriesReference_AcrossTheRealLine()
    {
        double worst = 0;
        for (double x = -8; x <= 8; x += 0.00137)
        {
            worst = Math.Max(worst, Math.Abs(Activations.Erf(x) - Reference.Erf(x)));
        }

        Assert.True(worst < 1e-7, $"max |erf error| = {worst:G3}");
    }

    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.5, 0.9999992569016276)]
    public void Erf_MatchesPublishedValues(double x, double expected)
    {
        Assert.True(Math.Abs(expected - Activations.Erf(x)) < 1e-8, $"erf({x}) = {Activations.Erf(x)}, expected {expected}");
    }

    [Fact]
    public void ErfFloat_IsWithin2e7OfSeriesReference_AcrossTheRealLine()
    {
        double worst = 0;
        for (double x = -8; x <= 8; x += 0.00137)
        {
            worst = Math.Max(worst, Math.Abs(Activations.ErfFloat((float)x) - Reference.Erf((float)x)));
        }

        Assert.True(worst < 2e-7, $"max |erf error| = {worst:G3}");
    }

    [Fact]
    public void Gelu_VectorLanesAndScalarTail_GiveBitIdenticalResults()
    {
        // A value must not change with its position in a row (vector body or scalar tail).
        float[] x = Reference.Random(128 + 16 + 7, 9, 6f); // one 8-chain block, one single vector, a tail
        float[] y = (float[])x.Clone();
        Activations.Gelu(y);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.Equal(Activations.GeluScalar(x[i]), y[i]);
        }
    }

    [Fact]
    public void Gelu_VectorPathMatchesExactErfFormula()
    {
        float[] x = Reference.Random(1000 + 13, 5, 8f); // odd length: vector body plus scalar tail
        x[0] = 0f;
        x[1] = -0f;
        x[2] = 40f;
        x[3] = -40f;
        float[] y = (float[])x.Clone();
        Activations.Gelu(y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = 0.5 * x[i] * (1 + Reference.Erf(x[i] / Math.Sqrt(2)));
            // Float evaluation of erf (|error| < 2e-7) scaled by |x| / 2, plus the float rounding of the result.
            Assert.True(Math.Abs(expected - y[i]) <= 1e-6 * Math.Max(1, Math.Abs(x[i])), $"gelu({x[i]}) = {y[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Relu_And_Silu_MatchDefinitions()
    {
        float[] x = [-2f, -0.5f, 0f, 0.5f, 3f];
        float[] relu = (float[])x.Clone();
        Activations.Apply(Activation.Relu, relu);
        Assert.Equal([0f, 0f, 0f, 0.5f, 3f], relu);
        float[] silu = (float[])x.Clone();
        Activations.Apply(Activation.Silu, silu);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(x[i] / (1 + Math.Exp(-x[i])) - silu[i]) < 1e-6, $"silu({x[i]}) = {silu[i]}");
        }
    }
}
