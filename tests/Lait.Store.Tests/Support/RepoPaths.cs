namespace Lait.Store.Tests.Support;

/// <summary>Paths found by walking up from the test assembly to the directory holding LaitGrpc.sln.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Configuration this test assembly was built in (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string CrashHostDll =>
        Path.Combine(Root, "tests", "Lait.Store.CrashHost", "bin", Configuration, "net10.0", "Lait.Store.CrashHost.dll");

    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LaitGrpc.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("LaitGrpc.sln not found above " + AppContext.BaseDirectory);
    }
}
