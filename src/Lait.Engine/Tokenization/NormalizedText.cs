namespace Lait.Engine.Tokenization;

/// <summary>Scratch buffer for normalized text: each UTF-16 unit remembers the [start, end) range of the
/// original character it came from, so token offsets always point into the caller's text. One per thread,
/// reused across calls so the hot loop does not allocate.</summary>
internal sealed class NormalizedText
{
    [ThreadStatic]
    private static NormalizedText? t_instance;

    private char[] _chars = new char[256];
    private int[] _starts = new int[256];
    private int[] _ends = new int[256];

    public int Length { get; private set; }

    public ReadOnlySpan<char> Chars => _chars.AsSpan(0, Length);

    public static NormalizedText Rent(int capacityHint)
    {
        NormalizedText buffer = t_instance ??= new NormalizedText();
        buffer.Length = 0;
        buffer.EnsureCapacity(capacityHint);
        return buffer;
    }

    public int OriginalStart(int index) => _starts[index];

    public int OriginalEnd(int index) => _ends[index];

    public void Add(char c, int originalStart, int originalEnd)
    {
        if (Length == _chars.Length)
        {
            EnsureCapacity(Length + 1);
        }

        _chars[Length] = c;
        _starts[Length] = originalStart;
        _ends[Length] = originalEnd;
        Length++;
    }

    public void Add(ReadOnlySpan<char> chars, int originalStart, int originalEnd)
    {
        foreach (char c in chars)
        {
            Add(c, originalStart, originalEnd);
        }
    }

    private void EnsureCapacity(int capacity)
    {
        if (capacity <= _chars.Length)
        {
            return;
        }

        int size = Math.Max(capacity, _chars.Length * 2);
        Array.Resize(ref _chars, size);
        Array.Resize(ref _starts, size);
        Array.Resize(ref _ends, size);
    }
}
