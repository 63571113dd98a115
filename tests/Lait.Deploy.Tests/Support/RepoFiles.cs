using System.Text.RegularExpressions;

namespace Lait.Deploy.Tests.Support;

/// <summary>Paths in the checkout, and facts read from the server's own source.</summary>
public static partial class RepoFiles
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "LaitGrpc.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("LaitGrpc.sln not found above the test assembly");
        }
    }

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>
    /// Every environment variable the server reads: the LAIT_* names passed to
    /// Environment.GetEnvironmentVariable in src/Lait.Server/Hosting/*.cs. Read from the source, so a
    /// manifest naming a setting that does not exist (or no longer exists) fails its test.
    /// </summary>
    public static IReadOnlySet<string> ServerEnvironmentNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(PathOf("src/Lait.Server/Hosting"), "*.cs"))
        {
            foreach (Match m in EnvironmentRead().Matches(File.ReadAllText(file))) names.Add(m.Groups[1].Value);
        }
        return names;
    }

    [GeneratedRegex("GetEnvironmentVariable\\(\\s*\"(LAIT_[A-Z0-9_]+)\"")]
    private static partial Regex EnvironmentRead();
}
