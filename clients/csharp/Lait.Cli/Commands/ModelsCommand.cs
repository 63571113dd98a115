using System.CommandLine;
using Lait.Client;
using Lait.Protos.V1;
using Spectre.Console;

namespace Lait.Cli.Commands;

/// <summary>`lait models`: what the server serves.</summary>
public static class ModelsCommand
{
    public static Command Create(GlobalOptions globals, TextWriter output, TextWriter error)
    {
        var command = new Command("models", "List the models the server serves");
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = globals.Open(parse);
            var models = await ListAsync(session, cancellationToken);
            if (session.Json)
            {
                Output.WriteProto(output, models);
                return ExitCodes.Ok;
            }
            Output.Console(output, Output.IsTerminal(output)).Write(Table(models));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static async Task<ListModelsResponse> ListAsync(Session session, CancellationToken cancellationToken)
    {
        using var call = session.Client.ListModelsAsync(new ListModelsRequest(), session.Call(cancellationToken));
        return await call.ResponseAsync;
    }

    public static Table Table(ListModelsResponse models)
    {
        var table = new Table().AddColumns("model", "architecture", "layers (P/L)", "hidden", "labels", "codec", "max tokens", "stored segments");
        foreach (var m in models.Models)
        {
            string name = m.Name == models.DefaultModel ? $"{m.Name} (default)" : m.Name;
            table.AddRow(Markup.Escape(name), Markup.Escape(m.Architecture), $"{m.TowerLayers}/{m.NumLayers}", m.HiddenSize.ToString(),
                Markup.Escape(string.Join(", ", m.Labels)), Markup.Escape(m.StateCodec), m.MaxSegmentTokens.ToString(),
                m.StoredSegments < 0 ? "?" : m.StoredSegments.ToString());
        }
        return table;
    }
}
