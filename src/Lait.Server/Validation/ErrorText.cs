using System.Text;

namespace Lait.Server.Validation;

/// <summary>
/// Bounds what an error message quotes from a request. A status message travels in an HTTP/2 header
/// (grpc-message, percent-encoded: up to 3 characters per UTF-8 byte) and common clients refuse header
/// blocks over 8 KiB, so a message that echoes a 20,000-character model name would turn NOT_FOUND into
/// the client's own RESOURCE_EXHAUSTED. Every quote of caller input goes through <see cref="Quote"/>;
/// every status message through <see cref="Cap"/>.
/// </summary>
public static class ErrorText
{
    /// <summary>Characters of caller input a message quotes before it cuts.</summary>
    public const int MaxQuotedChars = 64;

    /// <summary>UTF-8 bytes of a whole status message (at most 3 KiB once percent-encoded).</summary>
    public const int MaxMessageBytes = 1024;

    /// <summary>Items a message lists (missing ids, names) before it says how many more there are.</summary>
    public const int MaxListedItems = 8;

    /// <summary>The value in single quotes, cut to <see cref="MaxQuotedChars"/> with its full length said.</summary>
    public static string Quote(string? value)
    {
        value ??= "";
        if (value.Length <= MaxQuotedChars) return $"'{value}'";
        int cut = MaxQuotedChars;
        if (char.IsHighSurrogate(value[cut - 1])) cut--; // never split a surrogate pair
        return $"'{value[..cut]}...' ({value.Length} characters)";
    }

    /// <summary>The first <see cref="MaxListedItems"/> items, comma-separated, then "and N more".</summary>
    public static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        string shown = string.Join(", ", all.Take(MaxListedItems));
        return all.Count <= MaxListedItems ? shown : $"{shown} and {all.Count - MaxListedItems} more";
    }

    /// <summary>True when <paramref name="message"/> is longer than <see cref="MaxMessageBytes"/> UTF-8 bytes.</summary>
    public static bool IsTooLong(string? message) =>
        message is not null && (message.Length > MaxMessageBytes || Encoding.UTF8.GetByteCount(message) > MaxMessageBytes);

    /// <summary>The message cut to at most <see cref="MaxMessageBytes"/> UTF-8 bytes (on a character boundary), marked as cut.</summary>
    public static string Cap(string message)
    {
        if (!IsTooLong(message)) return message;
        const string Marker = "... (message cut)";
        int budget = MaxMessageBytes - Marker.Length;
        var result = new StringBuilder();
        int bytes = 0;
        foreach (var rune in message.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > budget) break;
            result.Append(rune.ToString());
        }
        return result.Append(Marker).ToString();
    }
}
