using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Lait.Engine.Tokenization;

internal static class TokenizerHashing
{
    /// <summary>Each token as (id, UTF-8 length, UTF-8 bytes): unambiguous whatever characters tokens contain.</summary>
    public static void AppendVocabulary(IncrementalHash hash, Vocabulary vocabulary)
    {
        Span<byte> header = stackalloc byte[8];
        ReadOnlySpan<string?> tokens = vocabulary.TokensById;
        for (int id = 0; id < tokens.Length; id++)
        {
            string? token = tokens[id];
            if (token is null)
            {
                continue;
            }

            AppendString(hash, id, token, header);
        }
    }

    public static void AppendString(IncrementalHash hash, int tag, string value, Span<byte> scratch)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        BinaryPrimitives.WriteInt32LittleEndian(scratch, tag);
        BinaryPrimitives.WriteInt32LittleEndian(scratch[4..], bytes.Length);
        hash.AppendData(scratch[..8]);
        hash.AppendData(bytes);
    }
}
