namespace Lait.Engine.Tokenization;

/// <summary>The GPT-2 / RoBERTa split, written as a scanner instead of a regex so that a call allocates nothing.
/// It yields the same pieces as the pattern
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>
/// with \s the White_Space property: contractions; runs of letters, of digits, or of other symbols, each
/// taking one preceding space; whitespace runs, of which the last character is left to the next piece when
/// that piece is not whitespace.</summary>
internal static class ByteLevelPreTokenizer
{
    private enum CharClass
    {
        Letter,
        Number,
        Other,
        Space,
    }

    /// <summary>Finds the piece starting at <paramref name="position"/>; returns its end.</summary>
    public static int NextPieceEnd(ReadOnlySpan<char> text, int position)
    {
        int c = UnicodeText.CodePointAt(text, position, out int length);
        if (c == '\'')
        {
            int contraction = ContractionLength(text, position + 1);
            if (contraction > 0)
            {
                return position + 1 + contraction;
            }
        }

        CharClass cls = Classify(c);
        if (cls != CharClass.Space)
        {
            return RunEnd(text, position + length, cls);
        }

        int next = position + length;
        if (c == ' ' && next < text.Length)
        {
            int c2 = UnicodeText.CodePointAt(text, next, out int length2);
            CharClass cls2 = Classify(c2);
            if (cls2 != CharClass.Space)
            {
                return RunEnd(text, next + length2, cls2);
            }
        }

        // Whitespace run: to the end of the text, or up to (not including) its last character when a
        // non-whitespace character follows, so that character's piece can take a space in front.
        int runEnd = next;
        int lastStart = position;
        while (runEnd < text.Length)
        {
            int w = UnicodeText.CodePointAt(text, runEnd, out int wl);
            if (!UnicodeText.IsWhiteSpace(w))
            {
                break;
            }

            lastStart = runEnd;
            runEnd += wl;
        }

        if (runEnd == text.Length || lastStart == position)
        {
            return runEnd;
        }

        return lastStart;
    }

    private static int RunEnd(ReadOnlySpan<char> text, int position, CharClass cls)
    {
        while (position < text.Length)
        {
            int c = UnicodeText.CodePointAt(text, position, out int length);
            if (Classify(c) != cls)
            {
                break;
            }

            position += length;
        }

        return position;
    }

    private static int ContractionLength(ReadOnlySpan<char> text, int position)
    {
        if (position >= text.Length)
        {
            return 0;
        }

        char a = text[position];
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 1;
        }

        if (position + 1 < text.Length)
        {
            char b = text[position + 1];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            {
                return 2;
            }
        }

        return 0;
    }

    private static CharClass Classify(int c)
    {
        if (c < 0x80)
        {
            if (c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z'))
            {
                return CharClass.Letter;
            }

            if (c is >= '0' and <= '9')
            {
                return CharClass.Number;
            }
        }

        if (UnicodeText.IsWhiteSpace(c))
        {
            return CharClass.Space;
        }

        if (UnicodeText.IsLetter(c))
        {
            return CharClass.Letter;
        }

        return UnicodeText.IsNumber(c) ? CharClass.Number : CharClass.Other;
    }
}
