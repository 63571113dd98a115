using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Lait.Store.Ids;

/// <summary>
/// Content address of a segment's tower state: the full 256-bit SHA-256 of the canonical
/// <see cref="SegmentKey"/> encoding. We keep all 256 bits (not 128): a wrong hit is silent
/// corruption, and with clients choosing token ids a 128-bit id could be attacked by a birthday
/// search of 2^64 work; 2^128 is out of reach. 32 bytes per key is negligible next to a 24 KB state.
/// Text form: 64 lowercase hex characters.
/// </summary>
public readonly struct SegmentId : IEquatable<SegmentId>
{
    public const int ByteLength = 32;
    public const int HexLength = 64;

    // Big-endian words of the digest, so hex order equals byte order.
    private readonly ulong _w0, _w1, _w2, _w3;

    private SegmentId(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        _w0 = w0; _w1 = w1; _w2 = w2; _w3 = w3;
    }

    /// <summary>Builds an id from its 32 digest bytes.</summary>
    public static SegmentId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != ByteLength)
            throw new ArgumentException($"A segment id is {ByteLength} bytes, got {bytes.Length}.", nameof(bytes));
        return new SegmentId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    /// <summary>True for the all-zero value (default), which no real digest produces in practice.</summary>
    public bool IsEmpty => (_w0 | _w1 | _w2 | _w3) == 0;

    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < ByteLength)
            throw new ArgumentException($"Need {ByteLength} bytes.", nameof(destination));
        BinaryPrimitives.WriteUInt64BigEndian(destination, _w0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _w1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _w2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _w3);
    }

    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Parses the 64-hex-character form (either case).</summary>
    /// <exception cref="FormatException">The text is not 64 hex characters; the message says why.</exception>
    public static SegmentId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var id, out var reason))
            throw new FormatException($"Malformed segment id '{Shorten(text)}': {reason}.");
        return id;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out SegmentId id) => TryParse(text, out id, out _);

    private static bool TryParse(string? text, out SegmentId id, out string reason)
    {
        id = default;
        if (text is null)
        {
            reason = "null";
            return false;
        }
        if (text.Length != HexLength)
        {
            reason = $"expected {HexLength} hex characters, got {text.Length} characters";
            return false;
        }
        Span<byte> bytes = stackalloc byte[ByteLength];
        for (int i = 0; i < ByteLength; i++)
        {
            int hi = HexValue(text[2 * i]), lo = HexValue(text[2 * i + 1]);
            if (hi < 0 || lo < 0)
            {
                int bad = hi < 0 ? 2 * i : 2 * i + 1;
                reason = $"character {bad} is not a hex digit";
                return false;
            }
            bytes[i] = (byte)(hi << 4 | lo);
        }
        id = FromBytes(bytes);
        reason = "";
        return true;
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    public bool Equals(SegmentId other) => _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;
    public override bool Equals(object? obj) => obj is SegmentId other && Equals(other);
    public override int GetHashCode() => (int)_w0 ^ (int)(_w0 >> 32);
    public static bool operator ==(SegmentId left, SegmentId right) => left.Equals(right);
    public static bool operator !=(SegmentId left, SegmentId right) => !left.Equals(right);
}
