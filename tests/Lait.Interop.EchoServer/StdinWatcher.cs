using Microsoft.Extensions.Hosting;

namespace Lait.Interop.EchoServer;

/// <summary>
/// Stops the server when stdin reaches end-of-file, so a test harness that dies cannot leave the
/// server behind. A stdin that is /dev/null is ignored (it is "closed" from the start).
/// </summary>
internal static class StdinWatcher
{
    public static void StopWhenClosed(IHostApplicationLifetime lifetime)
    {
        if (IsDevNull())
        {
            return;
        }

        var thread = new Thread(() =>
        {
            try
            {
                using Stream stdin = Console.OpenStandardInput();
                byte[] buffer = new byte[256];
                while (stdin.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }
            catch (IOException)
            {
            }

            lifetime.StopApplication();
        })
        {
            IsBackground = true,
            Name = "stdin-watcher",
        };
        thread.Start();
    }

    private static bool IsDevNull()
    {
        try
        {
            var info = new FileInfo("/proc/self/fd/0");
            return info.LinkTarget == "/dev/null";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
