namespace Lait.Engine.Tests.Checkpoints;

/// <summary>Locates the repository root (the folder holding LaitGrpc.sln) from the test assembly,
/// and the shared data folder beside it (../shared).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string Golden(params string[] parts) => Path.Combine([Root, "tests", "golden", .. parts]);

    /// <summary>../shared relative to the repository root; null when absent (a user's clone).</summary>
    public static string? SharedOrNull
    {
        get
        {
            string shared = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(shared) ? shared : null;
        }
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LaitGrpc.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"LaitGrpc.sln not found above {AppContext.BaseDirectory}.");
    }
}
