using Lait.Engine.Tests.Checkpoints;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

/// <summary>Paths into ../shared that tokenizer tests read.</summary>
public static class SharedData
{
    public const string MiniLmFolder = "models/all-MiniLM-L6-v2.tokenizer-only";

    public static string? PathOrNull(string relative)
    {
        string? shared = RepoPaths.SharedOrNull;
        if (shared is null)
        {
            return null;
        }

        string path = Path.Combine(shared, relative);
        return File.Exists(path) || Directory.Exists(path) ? path : null;
    }

    public static string Require(string relative) =>
        PathOrNull(relative) ?? throw new InvalidOperationException($"../shared/{relative} is missing (the test should have been skipped).");

    internal static string? SkipReason(string relative) =>
        PathOrNull(relative) is null ? $"Needs ../shared/{relative} (absent in this checkout)." : null;
}

/// <summary>A fact that skips, saying why, when ../shared/{path} is absent (xunit 2 has no dynamic skip).</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(string relativePath = SharedData.MiniLmFolder)
    {
        Skip = SharedData.SkipReason(relativePath);
    }
}

/// <summary>A theory that skips, saying why, when ../shared/{path} is absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(string relativePath = SharedData.MiniLmFolder)
    {
        Skip = SharedData.SkipReason(relativePath);
    }
}
