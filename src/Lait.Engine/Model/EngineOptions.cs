using Lait.Engine.Kernels;

namespace Lait.Engine.Model;

/// <summary>Run-time choices that do not change the model's numbers beyond fp32 rounding.</summary>
public sealed record EngineOptions
{
    /// <summary>GEMM implementation for the linear layers; Auto = the measured default (<see cref="GemmKernel.DefaultBackend"/>).</summary>
    public GemmBackend Gemm { get; init; } = GemmBackend.Auto;

    /// <summary>Threads a forward pass uses (the caller plus persistent workers). Default: all cores.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Most segments in one joint sequence. Default 64.</summary>
    public int MaxSegments { get; init; } = 64;

    /// <summary>Most tokens in one joint sequence; null = the model's position limit (the longest span it was trained to attend over).</summary>
    public int? MaxJointTokens { get; init; }

    /// <summary>Run a few dummy forward passes at load so the tiered JIT has optimised the kernels before the first request.</summary>
    public bool WarmUp { get; init; } = true;
}
