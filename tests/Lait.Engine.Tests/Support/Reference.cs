using Xunit;
namespace Lait.Engine.Tests.Support;

/// <summary>Plain double-precision reference implementations the kernels are checked against.</summary>
public static class Reference
{
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    /// <summary>c[m x n] = a[m x k] w^T + bias, w [n x k].</summary>
    public static double[] Linear(float[] a, int m, float[] w, int n, int k, float[]? bias)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = bias is null ? 0 : bias[j];
                for (int kk = 0; kk < k; kk++)
                {
                    s += (double)a[i * k + kk] * w[j * k + kk];
                }

                c[i * n + j] = s;
            }
        }

        return c;
    }

    /// <summary>erf by the all-positive series erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1)) (no cancellation).</summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax > 6)
        {
            return Math.Sign(x);
        }

        double term = ax;
        double sum = ax;
        for (int n = 1; n < 400; n++)
        {
            term *= 2 * ax * ax / (2 * n + 1);
            sum += term;
            if (term < 1e-18 * sum)
            {
                break;
            }
        }

        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-ax * ax) * sum;
        return x < 0 ? -r : r;
    }

    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            if (!(d <= worst))
            {
                worst = d;
                at = i;
            }
        }

        Assert.True(worst <= tolerance, $"{what}: max abs error {worst:G3} at index {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)}) exceeds {tolerance:G3}.");
    }
}
