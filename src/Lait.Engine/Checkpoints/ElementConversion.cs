using System.Buffers.Binary;

namespace Lait.Engine.Checkpoints;

/// <summary>Storage element types we read, converted to fp32.</summary>
internal enum StorageType
{
    F32,
    F16,
    BF16,
    F64,
    I64,
    I32,
}

/// <summary>Little-endian raw bytes to fp32. Integer buffers (position_ids, token_type_ids) are converted
/// exactly when |v| &lt;= 2^24 and rejected otherwise, so no value is silently rounded.</summary>
internal static class ElementConversion
{
    private const long MaxExactInteger = 1L << 24;

    public static int SizeOf(StorageType type) => type switch
    {
        StorageType.F32 => 4,
        StorageType.F16 => 2,
        StorageType.BF16 => 2,
        StorageType.F64 => 8,
        StorageType.I64 => 8,
        StorageType.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Converts <paramref name="source"/> (count * SizeOf bytes) into <paramref name="destination"/>.
    /// Returns null on success, or a description of the first value that cannot be represented.</summary>
    public static string? Convert(StorageType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        int n = destination.Length;
        switch (type)
        {
            case StorageType.F32:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * 4, 4));
                }

                break;
            case StorageType.F16:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source.Slice(i * 2, 2));
                }

                break;
            case StorageType.BF16:
                for (int i = 0; i < n; i++)
                {
                    // bfloat16 is the upper half of an fp32: shifting is exact, NaN payloads included.
                    uint bits = (uint)BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(i * 2, 2)) << 16;
                    destination[i] = BitConverter.UInt32BitsToSingle(bits);
                }

                break;
            case StorageType.F64:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source.Slice(i * 8, 8));
                }

                break;
            case StorageType.I64:
                for (int i = 0; i < n; i++)
                {
                    long v = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(i * 8, 8));
                    if (v > MaxExactInteger || v < -MaxExactInteger)
                    {
                        return $"int64 value {v} at element {i} is not exactly representable as fp32";
                    }

                    destination[i] = v;
                }

                break;
            case StorageType.I32:
                for (int i = 0; i < n; i++)
                {
                    int v = BinaryPrimitives.ReadInt32LittleEndian(source.Slice(i * 4, 4));
                    if (v > MaxExactInteger || v < -MaxExactInteger)
                    {
                        return $"int32 value {v} at element {i} is not exactly representable as fp32";
                    }

                    destination[i] = v;
                }

                break;
        }

        return null;
    }
}
