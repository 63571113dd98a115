namespace Lait.Engine.Kernels;

/// <summary>Portable fallback: the same packing and blocking with a plain-float 4 x 8 tile (any CPU, any runtime).</summary>
public sealed unsafe class ScalarGemm : ManagedGemm
{
    private const int Rows = 4;
    private const int Width = 8;

    public override GemmBackend Backend => GemmBackend.Scalar;

    public override int TileRows => Rows;

    public override int PanelWidth => Width;

    protected override void Tile(float* a, int lda, int rows, float* b, int kc, float* c, int ldc, bool accumulate, float* bias)
    {
        float* acc = stackalloc float[Rows * Width];
        for (int i = 0; i < Rows; i++)
        {
            for (int j = 0; j < Width; j++)
            {
                acc[i * Width + j] = accumulate ? c[i * ldc + j] : bias == null ? 0f : bias[j];
            }
        }

        for (int i = 0; i < Rows; i++)
        {
            float* ai = i < rows ? a + (long)i * lda : a;
            float* ci = acc + i * Width;
            float* bk = b;
            for (int k = 0; k < kc; k++, bk += Width)
            {
                float x = ai[k];
                for (int j = 0; j < Width; j++)
                {
                    ci[j] += x * bk[j];
                }
            }
        }

        for (int i = 0; i < Rows; i++)
        {
            for (int j = 0; j < Width; j++)
            {
                c[i * ldc + j] = acc[i * Width + j];
            }
        }
    }
}
