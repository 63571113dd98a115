using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Lait.Engine.Tokenization;

/// <param name="AddPrefixSpace">Treat the text as if it began with a space (when it does not), as GPT-2 style
/// models expect for a word at the very start.</param>
/// <param name="TrimOffsets">Leave the space a piece carries ("Ġword") out of its offsets, as RoBERTa's post-processor does.</param>
public sealed record ByteLevelBpeOptions(bool AddPrefixSpace = false, bool TrimOffsets = true);

/// <summary>Byte-level BPE (GPT-2, RoBERTa): the GPT-2 pre-tokenizer split, each piece's UTF-8 bytes mapped to
/// byte characters, then the ranked merges applied lowest rank first. Offsets map each token's bytes back to the
/// original characters they came from.</summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    // Pieces repeat a lot in natural text; remembering their merges skips the quadratic merge loop.
    private const int MaxCachedPieces = 50_000;
    private const int MaxCachedPieceLength = 64;

    private readonly ByteLevelBpeOptions _options;
    private readonly int[] _byteIds = new int[256];
    private readonly Dictionary<long, int> _mergeRanks;
    private readonly int[] _mergedIds;
    private readonly (string Left, string Right)[] _merges;
    private readonly ConcurrentDictionary<string, CachedPiece> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CachedPiece>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    public ByteLevelBpeTokenizer(Vocabulary vocabulary, IReadOnlyList<(string Left, string Right)> merges, ByteLevelBpeOptions options, SpecialTokenIds? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(merges);
        ArgumentNullException.ThrowIfNull(options);
        Vocabulary = vocabulary;
        _options = options;
        for (int b = 0; b < 256; b++)
        {
            string byteChar = ByteLevelAlphabet.ByteToChar((byte)b).ToString();
            _byteIds[b] = vocabulary.IdOrMinusOne(byteChar);
            if (_byteIds[b] < 0)
            {
                throw new TokenizerException($"Byte-level vocabulary lacks the character '{byteChar}' for byte 0x{b:X2}; every byte needs a token.");
            }
        }

        _merges = merges.ToArray();
        _mergeRanks = new Dictionary<long, int>(_merges.Length);
        _mergedIds = new int[_merges.Length];
        for (int rank = 0; rank < _merges.Length; rank++)
        {
            (string left, string right) = _merges[rank];
            int leftId = vocabulary.IdOrMinusOne(left);
            int rightId = vocabulary.IdOrMinusOne(right);
            int mergedId = vocabulary.IdOrMinusOne(left + right);
            if (leftId < 0 || rightId < 0 || mergedId < 0)
            {
                throw new TokenizerException($"Merge {rank} ('{left}' '{right}') uses or makes a token that is not in the vocabulary.");
            }

            // A repeated merge keeps its first (best) rank.
            _mergeRanks.TryAdd(PairKey(leftId, rightId), rank);
            _mergedIds[rank] = mergedId;
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        SpecialTokens = specialTokens ?? new SpecialTokenIds(
            vocabulary.IdOrMinusOne("<s>"), vocabulary.IdOrMinusOne("</s>"), vocabulary.IdOrMinusOne("<pad>"), vocabulary.IdOrMinusOne("<unk>"), vocabulary.IdOrMinusOne("<mask>"));
        Fingerprint = ComputeFingerprint();
    }

    public TokenizerKind Kind => TokenizerKind.ByteLevelBpe;

    public Vocabulary Vocabulary { get; }

    public SpecialTokenIds SpecialTokens { get; }

    public string Fingerprint { get; }

    public ByteLevelBpeOptions Options => _options;

    public int MergeCount => _merges.Length;

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
        if (text.IsEmpty)
        {
            return;
        }

        // Identity "normalization", plus the optional virtual prefix space that covers no original character.
        NormalizedText normalized = NormalizedText.Rent(text.Length + 1);
        if (_options.AddPrefixSpace && text[0] != ' ')
        {
            normalized.Add(' ', 0, 0);
        }

        for (int i = 0; i < text.Length;)
        {
            UnicodeText.CodePointAt(text, i, out int length);
            for (int k = 0; k < length; k++)
            {
                normalized.Add(text[i + k], i, i + length);
            }

            i += length;
        }

        int firstToken = output.Count;
        ReadOnlySpan<char> chars = normalized.Chars;
        for (int p = 0; p < chars.Length;)
        {
            int end = ByteLevelPreTokenizer.NextPieceEnd(chars, p);
            EncodePiece(normalized, p, end, firstToken, output);
            p = end;
        }
    }

    private void EncodePiece(NormalizedText normalized, int start, int end, int firstToken, List<TokenSpan> output)
    {
        ReadOnlySpan<char> piece = normalized.Chars[start..end];
        if (!_cacheLookup.TryGetValue(piece, out CachedPiece? merged))
        {
            merged = Merge(piece);
            if (piece.Length <= MaxCachedPieceLength && _cache.Count < MaxCachedPieces)
            {
                _cache.TryAdd(piece.ToString(), merged);
            }
        }

        // Walk the piece's bytes alongside its characters to turn byte ranges into original offsets.
        int charPos = start;
        int charBytesLeft = 0;
        int byteOriginalStart = 0;
        int byteOriginalEnd = 0;
        for (int t = 0; t < merged.Ids.Length; t++)
        {
            int tokenStart = -1;
            int tokenEnd = 0;
            for (int b = 0; b < merged.ByteLengths[t]; b++)
            {
                if (charBytesLeft == 0)
                {
                    int c = UnicodeText.CodePointAt(normalized.Chars, charPos, out int length);
                    charBytesLeft = Utf8Length(c);
                    byteOriginalStart = normalized.OriginalStart(charPos);
                    byteOriginalEnd = normalized.OriginalEnd(charPos + length - 1);
                    charPos += length;
                }

                charBytesLeft--;
                if (tokenStart < 0)
                {
                    tokenStart = byteOriginalStart;
                }

                tokenEnd = byteOriginalEnd;
            }

            if (_options.TrimOffsets)
            {
                int lead = merged.LeadingSpaces[t];
                int trail = merged.TrailingSpaces[t];
                if (lead > 0)
                {
                    bool isFirst = output.Count == firstToken || tokenStart == 0;
                    if (isFirst && _options.AddPrefixSpace && lead == 1)
                    {
                        lead = 0; // the added prefix space covers no original character
                    }

                    tokenStart = Math.Min(tokenStart + lead, tokenEnd);
                }

                if (trail > 0 && tokenEnd >= trail)
                {
                    tokenEnd = Math.Max(tokenEnd - trail, tokenStart);
                }
            }

            output.Add(new TokenSpan(merged.Ids[t], tokenStart, tokenEnd));
        }
    }

    private CachedPiece Merge(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[] bytesBuffer = ArrayPool<byte>.Shared.Rent(maxBytes);
        int[] ids = ArrayPool<int>.Shared.Rent(maxBytes);
        int[] lengths = ArrayPool<int>.Shared.Rent(maxBytes);
        try
        {
            int count = Encoding.UTF8.GetBytes(piece, bytesBuffer);
            for (int i = 0; i < count; i++)
            {
                ids[i] = _byteIds[bytesBuffer[i]];
                lengths[i] = 1;
            }

            // Apply the lowest-ranked adjacent merge, leftmost first, until none applies.
            while (count > 1)
            {
                int bestRank = int.MaxValue;
                int bestAt = -1;
                for (int i = 0; i < count - 1; i++)
                {
                    if (_mergeRanks.TryGetValue(PairKey(ids[i], ids[i + 1]), out int rank) && rank < bestRank)
                    {
                        bestRank = rank;
                        bestAt = i;
                    }
                }

                if (bestAt < 0)
                {
                    break;
                }

                ids[bestAt] = _mergedIds[bestRank];
                lengths[bestAt] += lengths[bestAt + 1];
                Array.Copy(ids, bestAt + 2, ids, bestAt + 1, count - bestAt - 2);
                Array.Copy(lengths, bestAt + 2, lengths, bestAt + 1, count - bestAt - 2);
                count--;
            }

            var result = new CachedPiece(ids.AsSpan(0, count).ToArray(), lengths.AsSpan(0, count).ToArray(), new int[count], new int[count]);
            int offset = 0;
            for (int t = 0; t < count; t++)
            {
                ReadOnlySpan<byte> tokenBytes = bytesBuffer.AsSpan(offset, lengths[t]);
                int lead = 0;
                while (lead < tokenBytes.Length && tokenBytes[lead] == (byte)' ')
                {
                    lead++;
                }

                int trail = 0;
                while (trail < tokenBytes.Length && tokenBytes[tokenBytes.Length - 1 - trail] == (byte)' ')
                {
                    trail++;
                }

                result.LeadingSpaces[t] = lead;
                result.TrailingSpaces[t] = trail;
                offset += lengths[t];
            }

            return result;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytesBuffer);
            ArrayPool<int>.Shared.Return(ids);
            ArrayPool<int>.Shared.Return(lengths);
        }
    }

    private static int Utf8Length(int codePoint) => codePoint switch
    {
        < 0x80 => 1,
        < 0x800 => 2,
        < 0x10000 => 3,
        _ => 4,
    };

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private string ComputeFingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(
            $"bytelevel-bpe/v1\nadd_prefix_space={_options.AddPrefixSpace}\ntrim_offsets={_options.TrimOffsets}\n" +
            $"specials={SpecialTokens.Cls},{SpecialTokens.Sep},{SpecialTokens.Pad},{SpecialTokens.Unk},{SpecialTokens.Mask}\n"));
        TokenizerHashing.AppendVocabulary(hash, Vocabulary);
        Span<byte> scratch = stackalloc byte[8];
        for (int rank = 0; rank < _merges.Length; rank++)
        {
            TokenizerHashing.AppendString(hash, rank, _merges[rank].Left + " " + _merges[rank].Right, scratch);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The merged tokens of one piece: ids, how many bytes each covers, and its leading/trailing space bytes.</summary>
    private sealed record CachedPiece(int[] Ids, int[] ByteLengths, int[] LeadingSpaces, int[] TrailingSpaces);
}
