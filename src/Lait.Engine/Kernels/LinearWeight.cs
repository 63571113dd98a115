namespace Lait.Engine.Kernels;

/// <summary>
/// A linear layer's weight W [N x K] (PyTorch layout, y = x W^T + b) prepared once at load for one GEMM
/// backend: packed into column panels for the managed kernels, or kept as is for OpenBLAS.
/// Arrays are pinned so kernels and worker threads can use raw pointers.
/// </summary>
public sealed class LinearWeight
{
    internal LinearWeight(int outFeatures, int inFeatures, int panelWidth, float[] data, float[] bias, int offset = 0)
    {
        Offset = offset;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        PanelWidth = panelWidth;
        Data = data;
        Bias = bias;
    }

    /// <summary>N: output columns.</summary>
    public int OutFeatures { get; }

    /// <summary>K: input columns.</summary>
    public int InFeatures { get; }

    /// <summary>Columns per packed panel; 0 when <see cref="Data"/> is the unpacked [N x K] matrix.</summary>
    public int PanelWidth { get; }

    /// <summary>
    /// Packed: panel p holds columns p*PW..p*PW+PW-1 as K rows of PW floats (k-major), zero-padded.
    /// Unpacked: W row-major [N x K].
    /// </summary>
    internal float[] Data { get; }

    /// <summary>Index in <see cref="Data"/> where the matrix starts (packed panels start on a 64-byte boundary).</summary>
    internal int Offset { get; }

    /// <summary>Bias, zero-padded to a whole number of panels (length >= N); zeros when the layer has none.</summary>
    internal float[] Bias { get; }

    internal int Panels => PanelWidth == 0 ? 0 : (OutFeatures + PanelWidth - 1) / PanelWidth;
}
