using System.CommandLine;
using Lait.Client.Conveniences;

namespace Lait.Cli.Commands;

/// <summary>`lait ask QUESTION --passage TEXT`: a yes/no answer.</summary>
public static class AskCommand
{
    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var question = new Argument<string>("question") { Description = "A yes/no question" };
        var passage = new Option<string>("--passage", "-p") { Description = "The passage that answers it", Required = true };

        var command = new Command("ask", "Answer a yes/no question over a passage") { question, passage };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string q = parse.GetValue(question)!;
            string text = parse.GetValue(passage)!;
            if (string.IsNullOrWhiteSpace(q)) throw new UsageException("the question is empty");
            if (string.IsNullOrWhiteSpace(text)) throw new UsageException("the passage is empty");
            using var session = globals.Open(parse);
            var answer = await session.Client.AnswerYesNoAsync(q, text, new CombineOptions { Model = session.Model, CallOptions = session.Call(cancellationToken) });
            if (session.Json)
            {
                Output.WriteProto(output, answer);
            }
            else
            {
                output.WriteLine($"{(answer.Answer ? "yes" : "no")} (p(yes) = {Output.Percent(answer.YesProbability)})");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
