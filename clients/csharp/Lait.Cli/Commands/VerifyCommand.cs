using System.CommandLine;
using Lait.Client.Conveniences;
using Lait.Protos.V1;
using Spectre.Console;

namespace Lait.Cli.Commands;

/// <summary>`lait verify CLAIM --evidence-id ID... | --evidence-name NS/NAME...`: a verdict over stored evidence.</summary>
public static class VerifyCommand
{
    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var claim = new Argument<string>("claim") { Description = "The claim to check (sent inline)" };
        var ids = new Option<string[]>("--evidence-id") { Description = "A stored evidence segment id (repeatable)", AllowMultipleArgumentsPerToken = true };
        var names = new Option<string[]>("--evidence-name") { Description = "A stored evidence segment name as NAMESPACE/NAME (repeatable)", AllowMultipleArgumentsPerToken = true };
        var aggregation = new Option<string>("--aggregation") { Description = "max-confidence, mean or majority", DefaultValueFactory = _ => "max-confidence" };
        aggregation.AcceptOnlyFromAmong("max-confidence", "mean", "majority");
        var topK = new Option<int>("--top-k") { Description = "Show only the best K evidence results (0 = all)" };

        var command = new Command("verify", "Verify a claim against stored evidence") { claim, ids, names, aggregation, topK };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string claimText = parse.GetValue(claim)!;
            if (string.IsNullOrWhiteSpace(claimText)) throw new UsageException("the claim is empty");
            var evidence = new List<SegmentRef>();
            foreach (string id in parse.GetValue(ids) ?? []) evidence.Add(new SegmentRef { SegmentId = id });
            foreach (string name in parse.GetValue(names) ?? []) evidence.Add(new SegmentRef { Name = ParseName(name) });
            if (evidence.Count == 0) throw new UsageException("give at least one --evidence-id or --evidence-name");
            int k = parse.GetValue(topK);
            if (k < 0) throw new UsageException("--top-k must not be negative");

            using var session = globals.Open(parse);
            var result = await session.Client.VerifyClaimAsync(claimText, evidence, new CombineOptions
            {
                Model = session.Model,
                TopK = k,
                Aggregation = parse.GetValue(aggregation) switch
                {
                    "mean" => Aggregation.Mean,
                    "majority" => Aggregation.Majority,
                    _ => Aggregation.MaxConfidence,
                },
                CallOptions = session.Call(cancellationToken),
            });
            if (session.Json)
            {
                Output.WriteProto(output, result);
                return ExitCodes.Ok;
            }
            var console = Output.Console(output, Output.IsTerminal(output));
            float p = result.VerdictScores.FirstOrDefault(s => s.Label == result.Verdict)?.Probability ?? 0;
            console.MarkupLine($"verdict: [bold]{Markup.Escape(result.Verdict)}[/] ({Output.Percent(p)})");
            var table = new Table().AddColumns("rank", "evidence", "label", "probability");
            foreach (var e in result.Evidence)
            {
                float ep = e.Scores.FirstOrDefault(s => s.Label == e.Label)?.Probability ?? 0;
                table.AddRow(e.Rank.ToString(), Markup.Escape(Describe(evidence[e.Index - 1], e.SegmentId)), Markup.Escape(e.Label), Output.Percent(ep));
            }
            console.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>NAMESPACE/NAME; the namespace cannot contain '/', the name can.</summary>
    public static SegmentName ParseName(string value)
    {
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1) throw new UsageException($"--evidence-name must be NAMESPACE/NAME, got '{value}'");
        return new SegmentName { Namespace = value[..slash], Name = value[(slash + 1)..] };
    }

    private static string Describe(SegmentRef reference, string id) =>
        reference.RefCase == SegmentRef.RefOneofCase.Name ? $"{reference.Name.Namespace}/{reference.Name.Name}" : id;
}
