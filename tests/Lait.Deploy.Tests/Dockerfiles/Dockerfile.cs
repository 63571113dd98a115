using System.Text.Json;

namespace Lait.Deploy.Tests.Dockerfiles;

/// <summary>One instruction: its keyword (upper case), leading --flags, the rest, and its line.</summary>
public sealed record DockerInstruction(string Keyword, IReadOnlyDictionary<string, string> Flags, string Arguments, int Line)
{
    /// <summary>The JSON-array (exec) form's words, or null when the instruction uses the shell form.</summary>
    public IReadOnlyList<string>? ExecForm => Dockerfile.ParseExecForm(Arguments);
}

/// <summary>A build stage: FROM image, its AS name (null when unnamed) and its instructions.</summary>
public sealed record DockerStage(string Image, string? Name, int Line, IReadOnlyList<DockerInstruction> Instructions)
{
    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>
/// A Dockerfile parsed the way the builder reads it: comment lines dropped, backslash continuations
/// joined, instructions grouped into stages by FROM. Enough for our linter; not every BuildKit form
/// (heredocs, parser directives other than comments) is understood.
/// </summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var stages = new List<DockerStage>();
        List<DockerInstruction>? current = null;
        string? fromImage = null, fromName = null;
        int fromLine = 0;
        foreach (var (line, number) in LogicalLines(text))
        {
            var instruction = ParseInstruction(line, number);
            if (instruction.Keyword == "FROM")
            {
                if (current is not null) stages.Add(new DockerStage(fromImage!, fromName, fromLine, current));
                string[] words = instruction.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                fromImage = words.Length > 0 ? words[0] : "";
                fromName = words.Length == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                fromLine = number;
                current = new List<DockerInstruction>();
                continue;
            }
            if (current is null)
            {
                if (instruction.Keyword == "ARG") continue; // ARGs before the first FROM parameterise FROM lines
                throw new FormatException($"line {number}: {instruction.Keyword} before the first FROM");
            }
            current.Add(instruction);
        }
        if (current is null) throw new FormatException("no FROM instruction");
        stages.Add(new DockerStage(fromImage!, fromName, fromLine, current));
        return new Dockerfile(stages);
    }

    /// <summary>ENV instructions' KEY=VALUE pairs (and the legacy "ENV KEY VALUE" form) of a stage.</summary>
    public static IReadOnlyDictionary<string, string> Environment(DockerStage stage)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var i in stage.All("ENV"))
        {
            var words = SplitWords(i.Arguments);
            if (words.Count >= 1 && !words[0].Contains('='))
            {
                env[words[0]] = string.Join(' ', words.Skip(1));
                continue;
            }
            foreach (string word in words)
            {
                int eq = word.IndexOf('=');
                if (eq <= 0) throw new FormatException($"line {i.Line}: ENV word '{word}' is not KEY=VALUE");
                env[word[..eq]] = word[(eq + 1)..];
            }
        }
        return env;
    }

    public static IReadOnlyList<string>? ParseExecForm(string arguments)
    {
        string trimmed = arguments.Trim();
        if (!trimmed.StartsWith('[')) return null;
        try
        {
            return JsonSerializer.Deserialize<string[]>(trimmed);
        }
        catch (JsonException)
        {
            return null; // Docker, too, falls back to the shell form when the array is not valid JSON
        }
    }

    // Whitespace-separated words; double or single quotes group (and are removed).
    public static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        char quote = '\0';
        bool inWord = false;
        foreach (char c in text)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    private static IEnumerable<(string Line, int Number)> LogicalLines(string text)
    {
        string[] lines = text.Replace("\r\n", "\n").Split('\n');
        var joined = new System.Text.StringBuilder();
        int start = 0;
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd();
            string trimmed = line.TrimStart();
            // Comment lines are removed before continuations are joined, also inside a continuation.
            if (trimmed.StartsWith('#')) continue;
            if (joined.Length == 0)
            {
                if (trimmed.Length == 0) continue;
                start = n + 1;
            }
            if (line.EndsWith('\\'))
            {
                joined.Append(line, 0, line.Length - 1).Append(' ');
                continue;
            }
            joined.Append(line);
            yield return (joined.ToString().Trim(), start);
            joined.Clear();
        }
        if (joined.Length > 0) yield return (joined.ToString().Trim(), start);
    }

    private static DockerInstruction ParseInstruction(string line, int number)
    {
        int space = line.IndexOfAny([' ', '\t']);
        string keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
        string rest = space < 0 ? "" : line[(space + 1)..].TrimStart();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        while (rest.StartsWith("--", StringComparison.Ordinal))
        {
            int end = rest.IndexOfAny([' ', '\t']);
            string flag = end < 0 ? rest : rest[..end];
            int eq = flag.IndexOf('=');
            flags[eq < 0 ? flag[2..] : flag[2..eq]] = eq < 0 ? "" : flag[(eq + 1)..];
            rest = end < 0 ? "" : rest[(end + 1)..].TrimStart();
        }
        return new DockerInstruction(keyword, flags, rest, number);
    }
}
