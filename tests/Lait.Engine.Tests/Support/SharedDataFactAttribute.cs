using Xunit;
using Lait.Engine.Tests.Checkpoints;

namespace Lait.Engine.Tests.Support;

/// <summary>A fact that needs ../shared (DESIGN.md §6); skipped with a reason where it is absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relativePath)
    {
        string? shared = RepoPaths.SharedOrNull;
        if (shared is null || !Path.Exists(Path.Combine(shared, relativePath)))
        {
            Skip = $"../shared/{relativePath} is not present (a clone without the shared data folder).";
        }
    }
}

/// <summary>A fact that needs libopenblas.so.0; skipped with a reason where it is not installed.</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    public OpenBlasFactAttribute()
    {
        if (!Lait.Engine.Kernels.OpenBlasGemm.IsAvailable)
        {
            Skip = "libopenblas.so.0 is not installed (Debian: apt-get install libopenblas0-pthread).";
        }
    }
}
