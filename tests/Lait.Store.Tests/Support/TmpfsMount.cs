using System.Diagnostics;
using Xunit;

namespace Lait.Store.Tests.Support;

/// <summary>A small tmpfs mounted for a test (needs root and mount rights); unmounted on dispose.</summary>
internal sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    public string Path { get; }

    public static TmpfsMount? TryCreate(long bytes)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"lait-tmpfs-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        if (Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path) == 0)
            return new TmpfsMount(path);
        Directory.Delete(path);
        return null;
    }

    public void Dispose()
    {
        Run("umount", "-l", Path);
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int Run(string file, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args)
                info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            p.WaitForExit(10_000);
            return p.HasExited ? p.ExitCode : -1;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}

/// <summary>A fact that runs only where a tmpfs can be mounted (root in a privileged container); skips otherwise.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        using var probe = TmpfsMount.TryCreate(1 << 20);
        if (probe is null)
            Skip = "needs a mountable tmpfs (root with mount rights) to fill a real disk";
    }
}
