namespace Lait.Server.Text;

/// <summary>A sentence of a document: its text and UTF-16 offsets [Start, End) into the document.</summary>
public readonly record struct SentenceSpan(int Start, int End)
{
    public int Length => End - Start;
}

/// <summary>
/// Splits a document into sentences for EncodeDocument. Rule-based and deterministic, so the same
/// document always yields the same segments (and so the same ids): a sentence ends at '.', '!',
/// '?' or '…' (plus any closing quotes or brackets) when whitespace and then a plausible sentence
/// start follow, and always at a blank line or a line break followed by nothing that continues it.
/// Common abbreviations, initials and decimal numbers do not end a sentence.
/// </summary>
public static class SentenceSplitter
{
    // Lower-cased, without the final period. Enough for English news, Wikipedia and science text.
    private static readonly HashSet<string> Abbreviations = new(StringComparer.Ordinal)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "ft", "vs", "etc", "e.g", "i.e",
        "cf", "al", "fig", "figs", "eq", "no", "vol", "pp", "p", "ca", "approx", "inc", "ltd", "co",
        "corp", "dept", "univ", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "rev",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "u.s", "u.k", "u.n", "e.u", "a.m", "p.m", "ph.d", "b.c", "a.d",
    };

    /// <summary>Returns the sentences of <paramref name="text"/> in order, trimmed, never empty.</summary>
    public static List<SentenceSpan> Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sentences = new List<SentenceSpan>();
        int start = 0;
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n' && EndsParagraphOrLine(text, i))
            {
                Add(text, start, i, sentences);
                start = i + 1;
                i++;
                continue;
            }
            if (IsTerminator(c))
            {
                int end = i + 1;
                // Runs like "?!" or "..." belong to one terminator.
                while (end < text.Length && IsTerminator(text[end])) end++;
                while (end < text.Length && IsCloser(text[end])) end++;
                if (end >= text.Length || (char.IsWhiteSpace(text[end]) && IsBoundary(text, i, end)))
                {
                    Add(text, start, end, sentences);
                    start = end;
                }
                i = end;
                continue;
            }
            i++;
        }
        Add(text, start, text.Length, sentences);
        return sentences;
    }

    private static bool IsTerminator(char c) => c is '.' or '!' or '?' or '…' or '。' or '！' or '？';

    private static bool IsCloser(char c) => c is '"' or '\'' or ')' or ']' or '}' or '”' or '’' or '»' or '」';

    // A line break ends a sentence at a blank line, or when the next line starts like a list item or
    // heading would; a single wrapped line inside a paragraph does not.
    private static bool EndsParagraphOrLine(string text, int newline)
    {
        int j = newline + 1;
        while (j < text.Length && text[j] is ' ' or '\t' or '\r') j++;
        if (j >= text.Length || text[j] == '\n') return true;
        int k = newline - 1;
        while (k >= 0 && text[k] is ' ' or '\t' or '\r') k--;
        // A line that already ended with a terminator was split there; otherwise treat a line break
        // before a capital letter, digit or bullet as a boundary (titles, lists, one sentence per line).
        if (k < 0) return true;
        char next = text[j];
        return char.IsUpper(next) || char.IsDigit(next) || next is '-' or '*' or '•';
    }

    private static bool IsBoundary(string text, int terminator, int afterClosers)
    {
        int next = afterClosers;
        while (next < text.Length && char.IsWhiteSpace(text[next])) next++;
        if (next >= text.Length) return true;
        char first = text[next];
        // A sentence starts with a capital, a digit, an opening quote or bracket, or a non-Latin letter.
        bool plausibleStart = char.IsUpper(first) || char.IsDigit(first) || first is '"' or '\'' or '(' or '[' or '“' or '‘' or '«'
            || (char.IsLetter(first) && !char.IsLower(first));
        if (!plausibleStart) return false;
        if (text[terminator] != '.') return true;
        return !IsAbbreviationOrInitial(text, terminator);
    }

    private static bool IsAbbreviationOrInitial(string text, int period)
    {
        int wordStart = period;
        while (wordStart > 0 && !char.IsWhiteSpace(text[wordStart - 1]) && text[wordStart - 1] is not '(' and not '"' and not '“')
        {
            wordStart--;
        }
        int length = period - wordStart;
        if (length == 0) return false;
        var word = text.AsSpan(wordStart, length);
        // A single capital letter is an initial ("J. Smith").
        if (length == 1 && char.IsUpper(word[0])) return true;
        Span<char> lower = length <= 64 ? stackalloc char[length] : new char[length];
        word.ToLowerInvariant(lower);
        return Abbreviations.Contains(new string(lower));
    }

    private static void Add(string text, int start, int end, List<SentenceSpan> sentences)
    {
        while (start < end && char.IsWhiteSpace(text[start])) start++;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) sentences.Add(new SentenceSpan(start, end));
    }
}
