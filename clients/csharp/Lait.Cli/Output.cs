using System.Text.Json;
using Google.Protobuf;
using Spectre.Console;

namespace Lait.Cli;

/// <summary>JSON for scripts (proto messages with their proto field names) and Spectre consoles for people.</summary>
public static class Output
{
    private static readonly JsonFormatter ProtoJson = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true).WithFormatDefaultValues(true));

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = false };

    public static void WriteProto(TextWriter output, IMessage message) => output.WriteLine(ProtoJson.Format(message));

    public static void WriteJson<T>(TextWriter output, T value) => output.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>A Spectre console over <paramref name="writer"/>; colours and live widgets only when it is a terminal.</summary>
    public static IAnsiConsole Console(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // A pipe or file has no width: don't wrap table cells at the default 80 columns there.
        if (!interactive) console.Profile.Width = 240;
        return console;
    }

    /// <summary>Whether <paramref name="writer"/> is the process's own stdout/stderr attached to a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) =>
        (ReferenceEquals(writer, System.Console.Error) && !System.Console.IsErrorRedirected)
        || (ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected);

    public static string Percent(float p) => (p * 100).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
