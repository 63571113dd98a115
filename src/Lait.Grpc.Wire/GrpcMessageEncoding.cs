using System.Text;

namespace Lait.Grpc.Wire;

/// <summary>
/// Percent-encoding of the grpc-message header: UTF-8 bytes outside printable ASCII (0x20-0x7E)
/// and '%' itself become %XX, so that any status text survives an ASCII-only HTTP/2 header.
/// </summary>
public static class GrpcMessageEncoding
{
    private const string Hex = "0123456789ABCDEF";

    public static string Encode(string message)
    {
        bool plain = true;
        foreach (char c in message)
        {
            if (c < 0x20 || c > 0x7E || c == '%')
            {
                plain = false;
                break;
            }
        }

        if (plain)
        {
            return message;
        }

        byte[] utf8 = Encoding.UTF8.GetBytes(message);
        var sb = new StringBuilder(utf8.Length * 3);
        foreach (byte b in utf8)
        {
            if (b < 0x20 || b > 0x7E || b == '%')
            {
                sb.Append('%').Append(Hex[b >> 4]).Append(Hex[b & 0xF]);
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }

    /// <summary>Decodes %XX sequences as UTF-8; a malformed sequence is kept literally (as the spec asks).</summary>
    public static string Decode(string encoded)
    {
        if (encoded.IndexOf('%') < 0)
        {
            return encoded;
        }

        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '%' && i + 2 < encoded.Length + 0 && TryHex(encoded[i + 1], out int hi) && TryHex(encoded[i + 2], out int lo))
            {
                bytes.Add((byte)((hi << 4) | lo));
                i += 2;
            }
            else if (c <= 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool TryHex(char c, out int value)
    {
        value = c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
        return value >= 0;
    }
}
