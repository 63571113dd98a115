using System.Security.Cryptography;
using System.Text;

namespace Lait.Engine.Tokenization;

/// <summary>BERT's tokenizer: the BERT normalizer (clean text, CJK spacing, accent stripping, lower-casing),
/// the BERT pre-tokenizer (split on whitespace, every punctuation character a word of its own) and WordPiece
/// (greedy longest-match-first against the vocabulary, "##" on pieces that continue a word, [UNK] for a word
/// that cannot be covered or is longer than MaxInputCharsPerWord code points).</summary>
public sealed class WordPieceTokenizer : ITokenizer
{
    private readonly BertNormalizerOptions _normalizer;
    private readonly WordPieceOptions _options;
    private readonly bool _stripAccents;
    private readonly int _unkId;

    // Word-initial pieces are looked up as they are; continuation pieces are looked up without their "##"
    // in a second table, so no prefixed string is ever built per lookup.
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;
    private readonly int _maxContinuationLength;

    public WordPieceTokenizer(Vocabulary vocabulary, BertNormalizerOptions normalizer, WordPieceOptions options, SpecialTokenIds? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(normalizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxInputCharsPerWord < 1)
        {
            throw new TokenizerException($"max_input_chars_per_word must be positive, got {options.MaxInputCharsPerWord}.");
        }

        if (string.IsNullOrEmpty(options.ContinuingSubwordPrefix))
        {
            throw new TokenizerException("WordPiece needs a non-empty continuing_subword_prefix.");
        }

        Vocabulary = vocabulary;
        _normalizer = normalizer;
        _options = options;
        _stripAccents = normalizer.EffectiveStripAccents;
        _unkId = vocabulary.IdOrMinusOne(options.UnkToken);
        if (_unkId < 0)
        {
            throw new TokenizerException($"The unknown token '{options.UnkToken}' is not in the vocabulary.");
        }

        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        string prefix = options.ContinuingSubwordPrefix;
        for (int id = 0; id < vocabulary.Size; id++)
        {
            string? token = vocabulary[id];
            if (token is not null && token.Length > prefix.Length && token.StartsWith(prefix, StringComparison.Ordinal))
            {
                continuations[token[prefix.Length..]] = id;
                _maxContinuationLength = Math.Max(_maxContinuationLength, token.Length - prefix.Length);
            }
        }

        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        SpecialTokens = specialTokens ?? new SpecialTokenIds(
            vocabulary.IdOrMinusOne("[CLS]"), vocabulary.IdOrMinusOne("[SEP]"), vocabulary.IdOrMinusOne("[PAD]"), _unkId, vocabulary.IdOrMinusOne("[MASK]"));
        Fingerprint = ComputeFingerprint();
    }

    public TokenizerKind Kind => TokenizerKind.WordPiece;

    public Vocabulary Vocabulary { get; }

    public SpecialTokenIds SpecialTokens { get; }

    public string Fingerprint { get; }

    public BertNormalizerOptions Normalizer => _normalizer;

    public WordPieceOptions Options => _options;

    public TokenSpan[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<TokenSpan>(text.Length / 3 + 4);
        EncodeTo(text, tokens);
        return tokens.ToArray();
    }

    public void EncodeTo(ReadOnlySpan<char> text, List<TokenSpan> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        NormalizedText normalized = NormalizedText.Rent(text.Length + 16);
        Normalize(text, normalized);
        PreTokenizeAndSplit(normalized, output);
    }

    private void Normalize(ReadOnlySpan<char> text, NormalizedText into)
    {
        Span<int> decomposed = stackalloc int[4];
        Span<char> lowered = stackalloc char[4];
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            int c = UnicodeText.CodePointAt(text, i, out int length);
            i += length;
            if (_normalizer.CleanText)
            {
                if (c == 0 || c == 0xFFFD || UnicodeText.IsBertControl(c))
                {
                    continue;
                }

                if (UnicodeText.IsBertWhiteSpace(c))
                {
                    into.Add(' ', start, i);
                    continue;
                }
            }

            bool isolate = _normalizer.HandleChineseChars && UnicodeText.IsCjkIdeograph(c);
            if (isolate)
            {
                into.Add(' ', start, i);
            }

            int count;
            if (_stripAccents)
            {
                count = UnicodeText.Decompose(c, decomposed);
            }
            else
            {
                decomposed[0] = c;
                count = 1;
            }

            for (int k = 0; k < count; k++)
            {
                int d = decomposed[k];
                if (_stripAccents && UnicodeText.IsNonSpacingMark(d))
                {
                    continue;
                }

                int written = _normalizer.Lowercase ? UnicodeText.ToLower(d, lowered) : UnicodeText.Append(d, lowered);
                into.Add(lowered[..written], start, i);
            }

            if (isolate)
            {
                into.Add(' ', start, i);
            }
        }
    }

    /// <summary>BERT pre-tokenization: whitespace separates words and is dropped; each punctuation character is a word.</summary>
    private void PreTokenizeAndSplit(NormalizedText normalized, List<TokenSpan> output)
    {
        ReadOnlySpan<char> chars = normalized.Chars;
        int p = 0;
        while (p < chars.Length)
        {
            int c = UnicodeText.CodePointAt(chars, p, out int length);
            if (UnicodeText.IsWhiteSpace(c))
            {
                p += length;
                continue;
            }

            if (UnicodeText.IsBertPunctuation(c))
            {
                SplitWord(normalized, p, p + length, 1, output);
                p += length;
                continue;
            }

            int wordStart = p;
            int codePoints = 0;
            while (p < chars.Length)
            {
                c = UnicodeText.CodePointAt(chars, p, out length);
                if (UnicodeText.IsWhiteSpace(c) || UnicodeText.IsBertPunctuation(c))
                {
                    break;
                }

                p += length;
                codePoints++;
            }

            SplitWord(normalized, wordStart, p, codePoints, output);
        }
    }

    /// <summary>Greedy longest-match-first WordPiece over normalized [wordStart, wordEnd).</summary>
    private void SplitWord(NormalizedText normalized, int wordStart, int wordEnd, int codePoints, List<TokenSpan> output)
    {
        int wordOriginalStart = normalized.OriginalStart(wordStart);
        int wordOriginalEnd = normalized.OriginalEnd(wordEnd - 1);
        if (codePoints > _options.MaxInputCharsPerWord)
        {
            output.Add(new TokenSpan(_unkId, wordOriginalStart, wordOriginalEnd));
            return;
        }

        ReadOnlySpan<char> chars = normalized.Chars;
        int firstToken = output.Count;
        int start = wordStart;
        while (start < wordEnd)
        {
            bool first = start == wordStart;
            int maxLength = first ? Vocabulary.MaxTokenLength : _maxContinuationLength;
            int end = Math.Min(wordEnd, start + maxLength);
            if (end < wordEnd && char.IsLowSurrogate(chars[end]))
            {
                end--; // never cut a surrogate pair
            }

            int id = -1;
            while (end > start)
            {
                ReadOnlySpan<char> piece = chars[start..end];
                if (first ? Vocabulary.TryGetId(piece, out id) : _continuations.TryGetValue(piece, out id))
                {
                    break;
                }

                id = -1;
                end--;
                if (end > start && char.IsLowSurrogate(chars[end]))
                {
                    end--;
                }
            }

            if (id < 0)
            {
                // One uncoverable piece makes the whole word unknown, as in BERT.
                output.RemoveRange(firstToken, output.Count - firstToken);
                output.Add(new TokenSpan(_unkId, wordOriginalStart, wordOriginalEnd));
                return;
            }

            output.Add(new TokenSpan(id, normalized.OriginalStart(start), normalized.OriginalEnd(end - 1)));
            start = end;
        }
    }

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(
            $"wordpiece/v1\nclean_text={_normalizer.CleanText}\nhandle_chinese_chars={_normalizer.HandleChineseChars}\n" +
            $"strip_accents={_stripAccents}\nlowercase={_normalizer.Lowercase}\nunk={_options.UnkToken}\n" +
            $"prefix={_options.ContinuingSubwordPrefix}\nmax_chars={_options.MaxInputCharsPerWord}\n" +
            $"specials={SpecialTokens.Cls},{SpecialTokens.Sep},{SpecialTokens.Pad},{SpecialTokens.Unk},{SpecialTokens.Mask}\n"));
        TokenizerHashing.AppendVocabulary(hash, Vocabulary);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
