namespace Lait.Interop.Tests;

/// <summary>Paths in the repository, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public const string InstallHint = "run `bash scripts/install-test-deps.sh` (the README's test command does it)";

    /// <summary>The folder holding LaitGrpc.sln.</summary>
    public static string Root { get; } = FindRoot();

    public static string InteropDir => Path.Combine(Root, "tests", "interop");

    /// <summary>
    /// The EchoServer dll built with the same configuration and framework as this assembly
    /// (bin/&lt;Configuration&gt;/&lt;tfm&gt;/), which the project reference makes dotnet build first.
    /// </summary>
    public static string EchoServerDll()
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = tfmDir.Name;
        string configuration = tfmDir.Parent?.Name ?? "Release";
        return Path.Combine(Root, "tests", "Lait.Interop.EchoServer", "bin", configuration, tfm, "Lait.Interop.EchoServer.dll");
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

        throw new InvalidOperationException($"LaitGrpc.sln not found above {AppContext.BaseDirectory}");
    }
}
