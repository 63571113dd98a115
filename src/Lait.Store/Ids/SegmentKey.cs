using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lait.Store.Ids;

/// <summary>How token positions are numbered; part of the cache key (DESIGN.md §4).</summary>
public enum PositionMode : byte
{
    /// <summary>Positions restart at 0 in every segment (LAIT models, P &gt; 0).</summary>
    PerSegment = 0,
    /// <summary>Positions continue across segments (P = 0 cross-encoders).</summary>
    Continuous = 1,
    /// <summary>The first segment from 0, every other from a fixed start the model's config names (in its fingerprint).</summary>
    RoleOffset = 2,
}

/// <summary>Role of a segment in a combined input; decides [CLS] and token type ids.</summary>
public enum SegmentRole : byte
{
    /// <summary>The first segment (claim, question): carries [CLS], token type 0.</summary>
    First = 0,
    /// <summary>Any later segment (evidence, passage): token type 1.</summary>
    Other = 1,
}

/// <summary>
/// Everything that decides a segment's tower state. The store treats the fingerprints as opaque
/// strings (e.g. "sha256:..." of the weights and of the vocabulary); it never interprets them.
/// </summary>
public sealed class SegmentKey
{
    public const int MaxFingerprintBytes = 256;
    public const int MaxTokens = 65_536;

    // Domain separation: a different use of SHA-256 over similar bytes can never collide with ours.
    private static ReadOnlySpan<byte> DomainTag => "lait.segment-key.v1\0"u8;

    public SegmentKey(string modelFingerprint, int p, string tokenizerFingerprint, PositionMode positionMode,
        SegmentRole role, ReadOnlyMemory<int> tokenIds)
    {
        ArgumentNullException.ThrowIfNull(modelFingerprint);
        ArgumentNullException.ThrowIfNull(tokenizerFingerprint);
        CheckFingerprint(modelFingerprint, nameof(modelFingerprint));
        CheckFingerprint(tokenizerFingerprint, nameof(tokenizerFingerprint));
        if (p < 0 || p > 1024)
            throw new ArgumentOutOfRangeException(nameof(p), p, "P (tower layers) must be in 0..1024.");
        if (!Enum.IsDefined(positionMode))
            throw new ArgumentOutOfRangeException(nameof(positionMode), positionMode, "Unknown position mode.");
        if (!Enum.IsDefined(role))
            throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown segment role.");
        if (tokenIds.Length == 0 || tokenIds.Length > MaxTokens)
            throw new ArgumentOutOfRangeException(nameof(tokenIds), tokenIds.Length, $"A segment has 1..{MaxTokens} tokens.");
        ModelFingerprint = modelFingerprint;
        P = p;
        TokenizerFingerprint = tokenizerFingerprint;
        PositionMode = positionMode;
        Role = role;
        TokenIds = tokenIds.ToArray(); // a copy: the id must not change if the caller reuses its buffer
    }

    public string ModelFingerprint { get; }
    public int P { get; }
    public string TokenizerFingerprint { get; }
    public PositionMode PositionMode { get; }
    public SegmentRole Role { get; }
    public ReadOnlyMemory<int> TokenIds { get; }

    /// <summary>The content address: SHA-256 of <see cref="EncodedLength"/> canonical bytes.</summary>
    public SegmentId ComputeId()
    {
        int length = EncodedLength;
        byte[]? rented = null;
        Span<byte> buffer = length <= 4096 ? stackalloc byte[length] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Encode(buffer[..length]);
            return HashEncoded(buffer[..length]);
        }
        finally
        {
            if (rented is not null)
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    internal static SegmentId HashEncoded(ReadOnlySpan<byte> encoded)
    {
        Span<byte> digest = stackalloc byte[SegmentId.ByteLength];
        SHA256.HashData(encoded, digest);
        return SegmentId.FromBytes(digest);
    }

    /// <summary>
    /// Canonical encoding, every variable field length-prefixed so no two keys share bytes:
    /// tag | u16 len, model fp (UTF-8) | i32 P | u16 len, tokenizer fp | u8 position mode | u8 role |
    /// i32 token count | i32 token ids (little-endian).
    /// </summary>
    public int EncodedLength =>
        DomainTag.Length + 2 + Encoding.UTF8.GetByteCount(ModelFingerprint) + 4 + 2 +
        Encoding.UTF8.GetByteCount(TokenizerFingerprint) + 1 + 1 + 4 + 4 * TokenIds.Length;

    internal void Encode(Span<byte> destination)
    {
        int at = 0;
        DomainTag.CopyTo(destination);
        at += DomainTag.Length;
        at += WriteString(destination[at..], ModelFingerprint);
        BinaryPrimitives.WriteInt32LittleEndian(destination[at..], P);
        at += 4;
        at += WriteString(destination[at..], TokenizerFingerprint);
        destination[at++] = (byte)PositionMode;
        destination[at++] = (byte)Role;
        var tokens = TokenIds.Span;
        BinaryPrimitives.WriteInt32LittleEndian(destination[at..], tokens.Length);
        at += 4;
        for (int i = 0; i < tokens.Length; i++, at += 4)
            BinaryPrimitives.WriteInt32LittleEndian(destination[at..], tokens[i]);
    }

    /// <summary>Inverse of <see cref="Encode"/>; returns null (with a reason) on any malformation.</summary>
    internal static SegmentKey? TryDecode(ReadOnlySpan<byte> source, out string reason)
    {
        reason = "";
        try
        {
            if (!source.StartsWith(DomainTag))
            {
                reason = "key domain tag mismatch";
                return null;
            }
            int at = DomainTag.Length;
            if (!TryReadString(source, ref at, out var model) ||
                source.Length < at + 4)
            {
                reason = "truncated key (model fingerprint)";
                return null;
            }
            int p = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
            at += 4;
            if (!TryReadString(source, ref at, out var tokenizer) || source.Length < at + 6)
            {
                reason = "truncated key (tokenizer fingerprint)";
                return null;
            }
            var mode = (PositionMode)source[at++];
            var role = (SegmentRole)source[at++];
            int count = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
            at += 4;
            if (count <= 0 || count > MaxTokens || source.Length != at + 4L * count)
            {
                reason = "key token count does not match its length";
                return null;
            }
            var tokens = new int[count];
            for (int i = 0; i < count; i++, at += 4)
                tokens[i] = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
            return new SegmentKey(model, p, tokenizer, mode, role, tokens);
        }
        catch (ArgumentException e)
        {
            reason = "invalid key field: " + e.Message;
            return null;
        }
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        int n = Encoding.UTF8.GetBytes(value, destination[2..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)n);
        return 2 + n;
    }

    private static bool TryReadString(ReadOnlySpan<byte> source, ref int at, out string value)
    {
        value = "";
        if (source.Length < at + 2)
            return false;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(source[at..]);
        if (n > MaxFingerprintBytes || source.Length < at + 2 + n)
            return false;
        value = Encoding.UTF8.GetString(source.Slice(at + 2, n));
        at += 2 + n;
        return true;
    }

    private static void CheckFingerprint(string value, string name)
    {
        if (value.Length == 0)
            throw new ArgumentException("A fingerprint must not be empty.", name);
        if (Encoding.UTF8.GetByteCount(value) > MaxFingerprintBytes)
            throw new ArgumentException($"A fingerprint is at most {MaxFingerprintBytes} UTF-8 bytes.", name);
    }
}
