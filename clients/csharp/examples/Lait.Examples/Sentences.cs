using System.Text.RegularExpressions;

namespace Lait.Examples;

/// <summary>A deliberately simple sentence splitter for the examples: line breaks and ., ! or ? followed by a space.</summary>
public static partial class Sentences
{
    [GeneratedRegex(@"(?<=[.!?])\s+|\r?\n+")]
    private static partial Regex Boundary();

    /// <summary>Reads the file lazily, line by line, so that a large file is streamed rather than loaded.</summary>
    public static async IAsyncEnumerable<string> ReadAsync(string path)
    {
        using var reader = new StreamReader(path);
        while (await reader.ReadLineAsync() is { } line)
        {
            foreach (string sentence in Boundary().Split(line))
            {
                if (!string.IsNullOrWhiteSpace(sentence)) yield return sentence.Trim();
            }
        }
    }
}
