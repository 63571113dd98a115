using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Lait.Client;
using Grpc.Core;
using Lait.Protos.V1;
using Spectre.Console;

namespace Lait.Cli.Commands;

/// <summary>
/// `lait ingest PATH`: stores the sentences of each document. Each file is sent whole with
/// EncodeDocument so that the server's sentence splitter decides the boundaries: the ids are the
/// same as any other client ingesting the same document, and the answer carries the sentence
/// texts and offsets. A few documents are in flight at once to keep the server busy.
/// </summary>
public static class IngestCommand
{
    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("path") { Description = "A text file, or a folder of them" };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Include subfolders" };
        var ns = new Option<string?>("--namespace", "-n") { Description = "Name sentence i of file F as F/i in this namespace" };
        var pattern = new Option<string>("--pattern") { Description = "File pattern inside a folder", DefaultValueFactory = _ => "*.txt" };
        var parallel = new Option<int>("--parallel") { Description = "Documents in flight at once", DefaultValueFactory = _ => 4 };
        var noProgress = new Option<bool>("--no-progress") { Description = "No progress bar (also off when stderr is not a terminal or with --json)" };
        var durability = new Option<string>("--durability") { Description = "server default, durable or checkpoint", DefaultValueFactory = _ => "default" };
        durability.AcceptOnlyFromAmong("default", "durable", "checkpoint");

        var command = new Command("ingest", "Store the sentences of a file or folder of text documents") { path, recursive, ns, pattern, parallel, noProgress, durability };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string root = parse.GetValue(path)!;
            int inFlight = parse.GetValue(parallel);
            if (inFlight < 1) throw new UsageException("--parallel must be at least 1");
            string? nameSpace = parse.GetValue(ns);
            var files = FindFiles(root, parse.GetValue(pattern)!, parse.GetValue(recursive));
            using var session = globals.Open(parse);
            var durabilityValue = parse.GetValue(durability) switch
            {
                "durable" => Durability.Durable,
                "checkpoint" => Durability.Checkpoint,
                _ => Durability.Unspecified,
            };
            bool progress = !parse.GetValue(noProgress) && !session.Json && Output.IsTerminal(error);
            var results = new FileResult[files.Count];
            var clock = Stopwatch.StartNew();
            long sentences = 0;

            async Task IngestAllAsync(Action<FileResult> done)
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, files.Count), new ParallelOptions { MaxDegreeOfParallelism = inFlight, CancellationToken = cancellationToken },
                    async (i, ct) =>
                    {
                        results[i] = await IngestFileAsync(session, files[i], nameSpace, durabilityValue, ct);
                        Interlocked.Add(ref sentences, results[i].Sentences.Count);
                        done(results[i]);
                    });
            }

            if (progress)
            {
                long totalBytes = Math.Max(1, files.Sum(f => f.Bytes));
                await Output.Console(error, interactive: true).Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .StartAsync(async ctx =>
                    {
                        var task = ctx.AddTask("ingesting", maxValue: totalBytes);
                        int filesDone = 0;
                        await IngestAllAsync(result =>
                        {
                            int n = Interlocked.Increment(ref filesDone);
                            long s = Interlocked.Read(ref sentences);
                            task.Increment(result.File.Bytes);
                            task.Description = $"{n}/{files.Count} files, {s} sentences, {Rate(s, clock.Elapsed)} sentences/s";
                        });
                    });
            }
            else
            {
                await IngestAllAsync(_ => { });
            }
            clock.Stop();

            int failed = results.Count(r => r.Error is not null);
            int stored = results.Sum(r => r.Sentences.Count);
            int already = results.Sum(r => r.Sentences.Count(s => s.AlreadyStored));
            if (session.Json)
            {
                Output.WriteJson(output, new
                {
                    Files = results.Select(r => new
                    {
                        Path = r.File.Path,
                        Error = r.Error,
                        Sentences = r.Sentences.Select((s, i) => new
                        {
                            s.SegmentId,
                            s.Text,
                            s.CharStart,
                            s.CharEnd,
                            s.TokenCount,
                            s.AlreadyStored,
                            s.Truncated,
                            Name = nameSpace is null ? null : $"{nameSpace}/{r.File.NamePrefix}/{i}",
                        }),
                    }),
                    Sentences = stored,
                    AlreadyStored = already,
                    New = stored - already,
                    FailedFiles = failed,
                    Seconds = clock.Elapsed.TotalSeconds,
                    SentencesPerSecond = stored / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
                });
            }
            else
            {
                foreach (var r in results)
                {
                    if (r.Error is null) output.WriteLine($"{r.File.Path}: {r.Sentences.Count} sentences ({r.Sentences.Count(s => s.AlreadyStored)} already stored)");
                }
                output.WriteLine($"{stored} sentences from {files.Count - failed} files ({stored - already} new, {already} already stored) in {clock.Elapsed.TotalSeconds:0.00} s, {Rate(stored, clock.Elapsed)} sentences/s");
            }
            foreach (var r in results)
            {
                if (r.Error is not null) error.WriteLine($"lait: {r.File.Path}: {r.Error}");
            }
            return failed == 0 ? ExitCodes.Ok : ExitCodes.ServerError;
        });
        return command;
    }

    private static string Rate(long count, TimeSpan elapsed) =>
        (count / Math.Max(elapsed.TotalSeconds, 1e-3)).ToString("0.0", CultureInfo.InvariantCulture);

    public sealed record InputFile(string Path, string NamePrefix, long Bytes);

    private sealed record FileResult(InputFile File, IReadOnlyList<DocumentSentence> Sentences, string? Error);

    /// <summary>The files to ingest, in a stable (ordinal path) order; a missing path is a usage error.</summary>
    public static List<InputFile> FindFiles(string root, string pattern, bool recursive)
    {
        if (File.Exists(root))
        {
            return [new InputFile(root, Path.GetFileName(root), new FileInfo(root).Length)];
        }
        if (!Directory.Exists(root)) throw new UsageException($"no such file or folder: {root}");
        var files = Directory.EnumerateFiles(root, pattern, recursive ? SearchOption.AllDirectories : SearchOption.TopDirectoryOnly)
            .Select(f => new InputFile(f, Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'), new FileInfo(f).Length))
            .OrderBy(f => f.NamePrefix, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new UsageException($"no files matching '{pattern}' in {root}{(recursive ? " or its subfolders" : "")}");
        return files;
    }

    private static async Task<FileResult> IngestFileAsync(Session session, InputFile file, string? nameSpace, Durability durability, CancellationToken cancellationToken)
    {
        string text = await File.ReadAllTextAsync(file.Path, cancellationToken);
        if (string.IsNullOrWhiteSpace(text)) return new FileResult(file, [], null);
        var request = new EncodeDocumentRequest { Model = session.Model, Text = text, Role = Role.Other, Durability = durability };
        if (nameSpace is not null)
        {
            request.Namespace = nameSpace;
            request.NamePrefix = file.NamePrefix;
        }
        try
        {
            using var call = session.Client.EncodeDocumentAsync(request, session.Call(cancellationToken));
            var response = await call.ResponseAsync;
            return new FileResult(file, response.Sentences, null);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted)
        {
            // A problem with this document only (too many sentences, a bad name): report it and go on with the others.
            return new FileResult(file, [], $"{Errors.CodeName(ex.StatusCode)}: {ex.Status.Detail}");
        }
    }
}
