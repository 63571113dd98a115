using System.Globalization;
using System.Text;

namespace Lait.Engine.Tokenization;

/// <summary>Character classes shared by the tokenizers, defined on code points (never on UTF-16 units,
/// so emoji and other supplementary characters are one character).</summary>
internal static class UnicodeText
{
    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11172;
    private const int JamoLBase = 0x1100;
    private const int JamoVBase = 0x1161;
    private const int JamoTBase = 0x11A7;
    private const int JamoVCount = 21;
    private const int JamoTCount = 28;

    /// <summary>The Unicode White_Space property (what Rust's char::is_whitespace and regex \s test).</summary>
    public static bool IsWhiteSpace(int c) => c switch
    {
        >= 0x09 and <= 0x0D => true,
        0x20 or 0x85 or 0xA0 or 0x1680 => true,
        >= 0x2000 and <= 0x200A => true,
        0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000 => true,
        _ => false,
    };

    /// <summary>BERT's control test: any "other" category (Cc, Cf, Cs, Co, Cn) except tab, newline and
    /// carriage return, which BERT counts as whitespace.</summary>
    public static bool IsBertControl(int c)
    {
        if (c is '\t' or '\n' or '\r')
        {
            return false;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>BERT's whitespace test: tab, newline, carriage return, or White_Space.</summary>
    public static bool IsBertWhiteSpace(int c) => IsWhiteSpace(c);

    /// <summary>BERT's punctuation: all of ASCII's non-alphanumeric printable characters (so $, +, &lt;, ^, ` and ~
    /// count although Unicode calls them symbols) plus every Unicode P* category.</summary>
    public static bool IsBertPunctuation(int c)
    {
        if (c is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        if (c < 128)
        {
            return false;
        }

        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK Unified Ideograph blocks BERT splits into single-character words (not Hangul, kana or CJK punctuation).</summary>
    public static bool IsCjkIdeograph(int c) =>
        c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    public static bool IsNonSpacingMark(int c) => CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark;

    /// <summary>\p{L}: Lu, Ll, Lt, Lm, Lo.</summary>
    public static bool IsLetter(int c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter;

    /// <summary>\p{N}: Nd, Nl, No.</summary>
    public static bool IsNumber(int c) => CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>Writes the canonical decomposition (NFD) of one code point; returns how many code points were written
    /// (at most 4). Combining marks of neighbouring characters are not reordered: only per-character decomposition
    /// matters to accent stripping, which then drops every Mn mark.</summary>
    public static int Decompose(int c, Span<int> destination)
    {
        if (c < 0xC0)
        {
            destination[0] = c;
            return 1;
        }

        int s = c - HangulBase;
        if ((uint)s < HangulCount)
        {
            destination[0] = JamoLBase + (s / (JamoVCount * JamoTCount));
            destination[1] = JamoVBase + (s % (JamoVCount * JamoTCount) / JamoTCount);
            int t = s % JamoTCount;
            if (t == 0)
            {
                return 2;
            }

            destination[2] = JamoTBase + t;
            return 3;
        }

        int index = CanonicalDecompositionData.Keys.BinarySearch(c);
        if (index < 0)
        {
            destination[0] = c;
            return 1;
        }

        int start = CanonicalDecompositionData.Starts[index];
        int end = CanonicalDecompositionData.Starts[index + 1];
        CanonicalDecompositionData.Values[start..end].CopyTo(destination);
        return end - start;
    }

    /// <summary>Full lower-case mapping of one code point into UTF-16. .NET's invariant mapping is the simple one;
    /// the only unconditional full mapping that differs is U+0130 (I with dot above) to "i" + U+0307.</summary>
    public static int ToLower(int c, Span<char> destination)
    {
        if (c == 0x130)
        {
            destination[0] = 'i';
            destination[1] = '\u0307';
            return 2;
        }

        if (c < 0x80)
        {
            destination[0] = (char)(c is >= 'A' and <= 'Z' ? c + 32 : c);
            return 1;
        }

        return Rune.ToLowerInvariant(new Rune(c)).EncodeToUtf16(destination);
    }

    public static int Append(int c, Span<char> destination) => new Rune(c).EncodeToUtf16(destination);

    /// <summary>Decodes the code point at <paramref name="index"/>; throws on an unpaired surrogate, which no
    /// tokenizer can encode faithfully.</summary>
    public static int CodePointAt(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (!char.IsSurrogate(c))
        {
            length = 1;
            return c;
        }

        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }

        throw new ArgumentException($"Text contains an unpaired UTF-16 surrogate (U+{(int)c:X4}) at index {index}; it is not valid Unicode text.", nameof(text));
    }
}
