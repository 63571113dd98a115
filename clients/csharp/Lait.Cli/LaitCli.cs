using System.CommandLine;
using Lait.Cli.Commands;

namespace Lait.Cli;

/// <summary>Exit codes a shell user can branch on.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The server answered with an error status (or a local I/O error).</summary>
    public const int ServerError = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    /// <summary>Interrupted (Ctrl+C), as shells report SIGINT.</summary>
    public const int Interrupted = 130;
}

/// <summary>The `lait` command tree; <see cref="RunAsync"/> is the whole program, callable in-process by tests.</summary>
public static class LaitCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var globals = new GlobalOptions();
        RootCommand root = Build(globals, output, error);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) await error.WriteLineAsync($"lait: {e.Message}");
            await error.WriteLineAsync("Run 'lait --help' for usage.");
            return ExitCodes.Usage;
        }
        var configuration = new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (Exception ex)
        {
            return Errors.Report(ex, error, parse.GetValue(globals.Address) ?? "");
        }
    }

    private static RootCommand Build(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("lait: ingest text into a LaitGrpc server, verify claims, answer yes/no questions, inspect and benchmark it.");
        globals.AddTo(root);
        root.Add(IngestCommand.Create(globals, output, error));
        root.Add(VerifyCommand.Create(globals, output, error));
        root.Add(AskCommand.Create(globals, output, error));
        root.Add(ModelsCommand.Create(globals, output, error));
        root.Add(StatsCommand.Create(globals, output, error));
        root.Add(BenchCommand.Create(globals, output, error));
        return root;
    }
}
