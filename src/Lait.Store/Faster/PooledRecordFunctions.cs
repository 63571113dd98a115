using System.Buffers;
using FASTER.core;

namespace Lait.Store.Faster;

/// <summary>A value copied out of the log into a rented buffer; give it back with <see cref="Return"/>.</summary>
internal readonly struct PooledRecord
{
    public PooledRecord(byte[] buffer, int length)
    {
        Buffer = buffer;
        Length = length;
    }

    public byte[]? Buffer { get; }
    public int Length { get; }
    public bool Found => Buffer is not null;
    public ReadOnlyMemory<byte> Memory => new(Buffer, 0, Length);

    public void Return()
    {
        if (Buffer is not null)
            ArrayPool<byte>.Shared.Return(Buffer);
    }
}

/// <summary>
/// SpanByte functions whose reads copy the value into a pooled buffer: states can be hundreds of KB, and a
/// fresh array per read (large-object heap) made concurrent multi-id gets GC-bound.
/// </summary>
internal sealed class PooledRecordFunctions : SpanByteFunctions<SpanByte, PooledRecord, long>
{
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref PooledRecord dst, ref ReadInfo readInfo)
    {
        dst = Copy(ref value);
        return true;
    }

    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref PooledRecord dst, ref ReadInfo readInfo)
    {
        dst = Copy(ref value);
        return true;
    }

    private static PooledRecord Copy(ref SpanByte value)
    {
        var source = value.AsReadOnlySpan();
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, source.Length));
        source.CopyTo(buffer);
        return new PooledRecord(buffer, source.Length);
    }
}
