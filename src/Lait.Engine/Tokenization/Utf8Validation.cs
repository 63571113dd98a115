using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace Lait.Engine.Tokenization;

/// <summary>Checks text before it reaches a tokenizer. Decoders that substitute U+FFFD for bad bytes (as
/// protobuf and Encoding.UTF8 do) would silently change what the model sees; the service validates the raw
/// bytes with these helpers and rejects the request, naming the byte offset.</summary>
public static class Utf8Validation
{
    /// <summary>Byte offset of the first byte that does not start a valid UTF-8 sequence (overlong forms,
    /// surrogates and code points above U+10FFFF are invalid); -1 when all of <paramref name="utf8"/> is valid.</summary>
    public static int IndexOfInvalidByte(ReadOnlySpan<byte> utf8)
    {
        if (Utf8.IsValid(utf8))
        {
            return -1;
        }

        int offset = 0;
        while (offset < utf8.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf8(utf8[offset..], out _, out int consumed);
            if (status != OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return -1;
    }

    /// <summary>Decodes strict UTF-8. On failure <paramref name="invalidByteOffset"/> is the offending byte's offset.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? text, out int invalidByteOffset)
    {
        invalidByteOffset = IndexOfInvalidByte(utf8);
        if (invalidByteOffset >= 0)
        {
            text = null;
            return false;
        }

        text = Encoding.UTF8.GetString(utf8);
        return true;
    }

    /// <summary>Decodes strict UTF-8 or throws an <see cref="InvalidTextException"/> naming <paramref name="what"/> and the byte offset.</summary>
    public static string DecodeOrThrow(ReadOnlySpan<byte> utf8, string what = "text")
    {
        if (TryDecode(utf8, out string? text, out int offset))
        {
            return text;
        }

        byte bad = utf8[offset];
        throw new InvalidTextException($"{what} is not valid UTF-8: byte 0x{bad:X2} at byte offset {offset} does not start a valid sequence.", offset);
    }

    /// <summary>Index of the first unpaired UTF-16 surrogate (a .NET string that is not valid Unicode); -1 when none.</summary>
    public static int IndexOfUnpairedSurrogate(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c))
            {
                continue;
            }

            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }

            return i;
        }

        return -1;
    }
}

/// <summary>Input text is not valid Unicode. <see cref="Offset"/> is a byte offset for UTF-8 input.</summary>
public sealed class InvalidTextException : ArgumentException
{
    public InvalidTextException(string message, int offset)
        : base(message)
    {
        Offset = offset;
    }

    public int Offset { get; }
}
