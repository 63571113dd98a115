using Xunit;
using Lait.Engine.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Kernels;

public class AttentionTests
{
    [Theory]
    [MemberData(nameof(GemmTests.ManagedBackends), MemberType = typeof(GemmTests))]
    public unsafe void RaggedAttention_MatchesPerSequenceReference(GemmBackend backend)
    {
        const int heads = 3, d = 20, h = heads * d;
        int[] lengths = [1, 9, 40, 33];
        int[] starts = [0, 1, 10, 50];
        int rows = 83;
        float[] qkv = Reference.Random(rows * 3 * h, 3, 2f);
        var ctx = new float[rows * h];
        using var pool = new WorkerPool(2);
        var attention = new Attention((ManagedGemm)GemmKernel.Create(backend), heads, d, pool.WorkerCount);
        fixed (float* pq = qkv)
        fixed (float* pc = ctx)
        {
            attention.Run(pq, pc, starts, lengths, lengths.Length, pool);
        }

        var expected = new double[rows * h];
        for (int s = 0; s < lengths.Length; s++)
        {
            for (int hh = 0; hh < heads; hh++)
            {
                for (int i = 0; i < lengths[s]; i++)
                {
                    int qi = starts[s] + i;
                    var scores = new double[lengths[s]];
                    for (int j = 0; j < lengths[s]; j++)
                    {
                        int kj = starts[s] + j;
                        double dot = 0;
                        for (int t = 0; t < d; t++)
                        {
                            dot += (double)qkv[qi * 3 * h + hh * d + t] * qkv[kj * 3 * h + h + hh * d + t];
                        }

                        scores[j] = dot / Math.Sqrt(d);
                    }

                    double max = scores.Max();
                    double sum = scores.Sum(v => Math.Exp(v - max));
                    for (int t = 0; t < d; t++)
                    {
                        double acc = 0;
                        for (int j = 0; j < lengths[s]; j++)
                        {
                            acc += Math.Exp(scores[j] - max) / sum * qkv[(starts[s] + j) * 3 * h + 2 * h + hh * d + t];
                        }

                        expected[qi * h + hh * d + t] = acc;
                    }
                }
            }
        }

        Reference.AssertClose(expected, ctx, 2e-5, $"attention ({backend})");
    }
}
