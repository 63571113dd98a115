namespace Lait.Bench.Transport;

public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The EchoServer built with this benchmark's configuration and framework.</summary>
    public static string EchoServerDll()
    {
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = tfmDir.Parent?.Name ?? "Release";
        return Path.Combine(Root, "tests", "Lait.Interop.EchoServer", "bin", configuration, tfmDir.Name, "Lait.Interop.EchoServer.dll");
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
