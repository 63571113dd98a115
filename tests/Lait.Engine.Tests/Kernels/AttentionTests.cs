using Xunit;
using Lait.Engine.Kernels;
using Lait.Engine.Tests.Support;

namespace Lait.Engine.Tests.Kernels;

public class AttentionTests
{
    public static TheoryData<GemmBackend, bool> BackendsAndPartOrders()
    {
        var data = new TheoryData<GemmBackend, bool>();
        foreach (GemmBackend backend in GemmTests.ManagedBackends())
        {
            data.Add(backend, false);
            data.Add(backend, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BackendsAndPartOrders))]
    public unsafe void RaggedAttention_MatchesPerSequenceReference(GemmBackend backend, bool headMajor)
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
            attention.Run(pq, pc, starts, lengths, lengths.Length, pool, headMajor);
        }

        // Each row holds Q_0 K_0 V_0 Q_1 K_1 V_1 ..., d values each.
        int Q(int row, int head, int t) => row * 3 * h + head * 3 * d + t;
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
                            dot += (double)qkv[Q(qi, hh, t)] * qkv[Q(kj, hh, t) + d]; // K_h follows Q_h
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
                            acc += Math.Exp(scores[j] - max) / sum * qkv[Q(starts[s] + j, hh, t) + 2 * d]; // then V_h
                        }

                        expected[qi * h + hh * d + t] = acc;
                    }
                }
            }
        }

        Reference.AssertClose(expected, ctx, 2e-5, $"attention ({backend}, head-major {headMajor})");
    }
}
