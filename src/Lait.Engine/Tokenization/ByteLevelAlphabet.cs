namespace Lait.Engine.Tokenization;

/// <summary>GPT-2's reversible byte-to-character map: printable Latin-1 bytes stand for themselves, the other
/// 68 bytes (controls, space, DEL, NBSP, soft hyphen...) take the characters from U+0100 on, in byte order. So the
/// byte-level vocabulary is made of visible characters ("Ġ" is the space byte).</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] s_byteToChar = Build();

    public static char ByteToChar(byte b) => s_byteToChar[b];

    private static char[] Build()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is (>= 33 and <= 126) or (>= 161 and <= 172) or (>= 174 and <= 255);
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }
}
