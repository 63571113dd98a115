using System.Buffers.Binary;

namespace Lait.Grpc.Wire;

/// <summary>
/// gRPC length-prefixed messages: 1 byte compressed flag, 4 bytes big-endian length, then the bytes.
/// </summary>
public static class MessageFraming
{
    public const int PrefixLength = 5;

    public static void WritePrefix(Span<byte> destination, bool compressed, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        destination[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(destination.Slice(1, 4), (uint)length);
    }

    /// <summary>
    /// Reads a prefix. Throws INTERNAL for a flag other than 0 or 1.
    /// The length is unsigned on the wire and may exceed int.MaxValue.
    /// </summary>
    public static (bool Compressed, uint Length) ReadPrefix(ReadOnlySpan<byte> source)
    {
        byte flag = source[0];
        if (flag > 1)
        {
            throw new RpcException(StatusCode.Internal, $"invalid compressed flag {flag} in message prefix");
        }

        return (flag == 1, BinaryPrimitives.ReadUInt32BigEndian(source.Slice(1, 4)));
    }

    /// <summary>Frames a payload into one new array (prefix + payload).</summary>
    public static byte[] Frame(ReadOnlySpan<byte> payload, bool compressed)
    {
        byte[] framed = new byte[PrefixLength + payload.Length];
        WritePrefix(framed, compressed, payload.Length);
        payload.CopyTo(framed.AsSpan(PrefixLength));
        return framed;
    }

    /// <summary>
    /// Reads one message from a stream. Returns null at a clean end of stream (no byte of a next
    /// message); throws INTERNAL for a stream that ends inside a message and RESOURCE_EXHAUSTED when
    /// the declared length exceeds <paramref name="maxMessageSize"/> (before reading the body).
    /// </summary>
    public static async ValueTask<FramedMessage?> ReadAsync(Stream stream, int maxMessageSize, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[PrefixLength];
        int read = await ReadFullyAsync(stream, prefix, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < PrefixLength)
        {
            throw new RpcException(StatusCode.Internal, "incomplete message prefix: the stream ended inside a message");
        }

        (bool compressed, uint length) = ReadPrefix(prefix);
        if (length > (uint)maxMessageSize)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"received message larger than max ({length} vs. {maxMessageSize})");
        }

        byte[] data = length == 0 ? Array.Empty<byte>() : new byte[length];
        read = await ReadFullyAsync(stream, data, cancellationToken).ConfigureAwait(false);
        if (read < data.Length)
        {
            throw new RpcException(StatusCode.Internal, "incomplete message: the stream ended inside a message");
        }

        return new FramedMessage(compressed, data);
    }

    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> payload, bool compressed, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[PrefixLength];
        WritePrefix(prefix, compressed, payload.Length);
        await stream.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<int> ReadFullyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}

/// <summary>One message as read from the wire: still compressed when <see cref="Compressed"/>.</summary>
public readonly record struct FramedMessage(bool Compressed, byte[] Data);
