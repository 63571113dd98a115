using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lait.Engine.Kernels;

/// <summary>
/// Pinned float arrays whose usable part starts on a 64-byte (cache-line, zmm) boundary. The GC aligns
/// arrays to 8 or 16 bytes only; a 64-byte vector load from a misaligned address touches two cache lines,
/// which costs load-port throughput in the GEMM's inner loop.
/// </summary>
internal static unsafe class AlignedArray
{
    private const int AlignFloats = 16;

    /// <summary>A pinned array of at least <paramref name="length"/> + 15 floats; the aligned region starts at <paramref name="offset"/>.</summary>
    public static float[] Allocate(int length, out int offset)
    {
        float[] array = GC.AllocateArray<float>(length + AlignFloats - 1, pinned: true);
        offset = OffsetOf(array);
        return array;
    }

    /// <summary>Floats to skip from the start of a pinned array to reach a 64-byte boundary.</summary>
    private static int OffsetOf(float[] pinned)
    {
        fixed (float* p = pinned)
        {
            long misalignment = (long)p & 63;
            return misalignment == 0 ? 0 : (int)((64 - misalignment) / sizeof(float));
        }
    }
}

/// <summary>
/// A grow-only scratch buffer of floats starting on a 64-byte boundary. Backed by a pinned array, so
/// <see cref="Pointer"/> stays valid (for worker threads too) until the next growth.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private float[] _array = [];
    private int _offset;

    /// <summary>Usable floats.</summary>
    public int Length { get; private set; }

    public float* Pointer { get; private set; }

    /// <summary>Makes room for at least <paramref name="length"/> floats; old contents are not kept when it grows.</summary>
    public void EnsureCapacity(int length)
    {
        if (Length >= length)
        {
            return;
        }

        _array = AlignedArray.Allocate(length, out _offset);
        Length = length;
        Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array)) + _offset;
    }

    public Span<float> AsSpan(int start, int length) => _array.AsSpan(_offset + start, length);
}
