using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Lait.Store.Ids;

namespace Lait.Store.Codec;

/// <summary>
/// Binary record of one segment state, identical in every backend (little-endian):
/// <code>
///  0 u32  magic "LAIT"            4 u8 format version (1)   5 u8 codec   6 u16 reserved (0)
///  8 u32  record length (bytes)  12 u32 CRC-32C of the whole record with this field read as 0
/// 16 [32] segment id             48 i32 tokens             52 i32 hidden
/// 56 u32  key length K           60 [K] canonical SegmentKey bytes (model fp, P, tokenizer fp,
///                                        position mode, role, token ids)
/// 60+K    payload: fp32 T*H*4 | fp16 T*H*2 | int8: per token f32 scale + H sbytes
/// </code>
/// Reading checks magic, version, codec, length, checksum, that the key parses, that its token count
/// equals the shape, and that SHA-256(key bytes) is both the stored id and the requested id; any
/// mismatch is a <see cref="StoreCorruptionException"/>, never data.
/// </summary>
public static class StateRecord
{
    public const uint Magic = 0x5449414C; // "LAIT" read little-endian
    public const byte FormatVersion = 1;
    public const int HeaderLength = 60;
    private const int ChecksumOffset = 12;

    static StateRecord()
    {
        // Payloads are written with MemoryMarshal casts; the format is little-endian.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The state record format needs a little-endian CPU.");
    }

    public static int PayloadLength(StateCodec codec, int tokens, int hidden) => codec switch
    {
        StateCodec.Fp32 => checked(tokens * hidden * 4),
        StateCodec.Fp16 => checked(tokens * hidden * 2),
        StateCodec.Int8PerToken => checked(tokens * (4 + hidden)),
        StateCodec.Bf16 => throw new NotSupportedException("The bf16 codec is reserved and not implemented yet."),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown state codec."),
    };

    /// <summary>
    /// The encoded length of <paramref name="state"/>, or ArgumentException naming the sizes when it exceeds a
    /// store's record limit (<paramref name="limitDetail"/> says where the limit comes from, may be empty).
    /// </summary>
    public static int EnsureFits(SegmentState state, StateCodec codec, int maxRecordBytes, string limitDetail)
    {
        int length = EncodedLength(state, codec);
        if (length > maxRecordBytes)
            throw new ArgumentException(
                $"State of {state.Tokens} tokens x {state.Hidden} hidden encodes to {length} bytes with {codec}, " +
                $"over this store's record limit of {maxRecordBytes} bytes{limitDetail}.", nameof(state));
        return length;
    }

    public static int EncodedLength(SegmentState state, StateCodec codec) =>
        checked(HeaderLength + state.Key.EncodedLength + PayloadLength(codec, state.Tokens, state.Hidden));

    /// <summary>Encodes a state into a new array and returns its id.</summary>
    /// <exception cref="ArgumentException">Non-finite values, or values beyond fp16 range with <see cref="StateCodec.Fp16"/>.</exception>
    public static byte[] Encode(SegmentState state, StateCodec codec, out SegmentId id)
    {
        ArgumentNullException.ThrowIfNull(state);
        var record = new byte[EncodedLength(state, codec)];
        id = Encode(state, codec, record);
        return record;
    }

    /// <summary>Encodes into exactly <see cref="EncodedLength"/> bytes of <paramref name="destination"/>.</summary>
    public static SegmentId Encode(SegmentState state, StateCodec codec, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(state);
        CheckValues(state.Values, codec);
        int keyLength = state.Key.EncodedLength;
        int payloadLength = PayloadLength(codec, state.Tokens, state.Hidden);
        int length = HeaderLength + keyLength + payloadLength;
        if (destination.Length < length)
            throw new ArgumentException($"Need {length} bytes.", nameof(destination));
        var record = destination[..length];

        var key = record.Slice(HeaderLength, keyLength);
        state.Key.Encode(key);
        var id = SegmentKey.HashEncoded(key);

        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        record[4] = FormatVersion;
        record[5] = (byte)codec;
        BinaryPrimitives.WriteUInt16LittleEndian(record[6..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], length);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksumOffset..], 0);
        id.WriteTo(record[16..]);
        BinaryPrimitives.WriteInt32LittleEndian(record[48..], state.Tokens);
        BinaryPrimitives.WriteInt32LittleEndian(record[52..], state.Hidden);
        BinaryPrimitives.WriteInt32LittleEndian(record[56..], keyLength);
        EncodePayload(state.Values, state.Tokens, state.Hidden, codec, record[(HeaderLength + keyLength)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[ChecksumOffset..], Checksum(record));
        return id;
    }

    /// <summary>Validates and decodes a record read for <paramref name="expectedId"/>.</summary>
    /// <exception cref="StoreCorruptionException">Any validation failure.</exception>
    public static SegmentState Decode(SegmentId expectedId, ReadOnlySpan<byte> record)
    {
        var (key, codec, tokens, hidden, payloadOffset) = Validate(expectedId, record);
        // Every element is written below, so skip zeroing (states can be hundreds of KB).
        var values = GC.AllocateUninitializedArray<float>(tokens * hidden);
        DecodePayload(record[payloadOffset..], tokens, hidden, codec, values);
        return new SegmentState(key, hidden, values);
    }

    private static (SegmentKey Key, StateCodec Codec, int Tokens, int Hidden, int PayloadOffset) Validate(
        SegmentId expectedId, ReadOnlySpan<byte> record)
    {
        if (record.Length < HeaderLength)
            throw Corrupt(expectedId, $"record of {record.Length} bytes is shorter than the {HeaderLength}-byte header");
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Magic)
            throw Corrupt(expectedId, "bad magic");
        if (record[4] != FormatVersion)
            throw Corrupt(expectedId, $"unknown format version {record[4]}");
        int length = BinaryPrimitives.ReadInt32LittleEndian(record[8..]);
        if (length != record.Length)
            throw Corrupt(expectedId, $"header length {length} != stored length {record.Length}");
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(record[ChecksumOffset..]);
        uint actual = Checksum(record);
        if (stored != actual)
            throw Corrupt(expectedId, $"checksum mismatch (stored {stored:x8}, computed {actual:x8})");
        // Past the checksum the bytes are what was written; the checks below catch writer bugs and
        // records filed under the wrong key.
        var codec = (StateCodec)record[5];
        if (codec is not (StateCodec.Fp32 or StateCodec.Fp16 or StateCodec.Int8PerToken))
            throw Corrupt(expectedId, $"unknown codec {record[5]}");
        var storedId = SegmentId.FromBytes(record.Slice(16, SegmentId.ByteLength));
        if (storedId != expectedId)
            throw Corrupt(expectedId, $"record belongs to id {storedId}");
        int tokens = BinaryPrimitives.ReadInt32LittleEndian(record[48..]);
        int hidden = BinaryPrimitives.ReadInt32LittleEndian(record[52..]);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[56..]);
        if (tokens <= 0 || hidden <= 0 || hidden > 65_536 || keyLength <= 0 || keyLength > record.Length - HeaderLength)
            throw Corrupt(expectedId, "bad shape or key length");
        var keyBytes = record.Slice(HeaderLength, keyLength);
        if (SegmentKey.HashEncoded(keyBytes) != expectedId)
            throw Corrupt(expectedId, "key does not hash to the id");
        var key = SegmentKey.TryDecode(keyBytes, out var reason) ?? throw Corrupt(expectedId, reason);
        if (key.TokenIds.Length != tokens)
            throw Corrupt(expectedId, $"key has {key.TokenIds.Length} tokens, shape says {tokens}");
        long payloadLength = PayloadLength(codec, tokens, hidden);
        if (HeaderLength + keyLength + payloadLength != record.Length)
            throw Corrupt(expectedId, "payload length does not match the shape");
        return (key, codec, tokens, hidden, HeaderLength + keyLength);
    }

    /// <summary>CRC-32C over the record with the checksum field read as zero.</summary>
    private static uint Checksum(ReadOnlySpan<byte> record)
    {
        uint crc = Crc32C.Append(0xFFFFFFFF, record[..ChecksumOffset]);
        crc = Crc32C.Append(crc, [0, 0, 0, 0]);
        crc = Crc32C.Append(crc, record[(ChecksumOffset + 4)..]);
        return ~crc;
    }

    private static StoreCorruptionException Corrupt(SegmentId id, string reason) => new(id, reason);

    private static void CheckValues(ReadOnlySpan<float> values, StateCodec codec)
    {
        float maxAbs = values.Length == 0 ? 0 : TensorPrimitives.MaxMagnitude(values);
        // MaxMagnitude returns NaN if any value is NaN.
        if (float.IsNaN(maxAbs) || float.IsInfinity(maxAbs))
            throw new ArgumentException("State contains NaN or infinite values.", nameof(values));
        if (codec == StateCodec.Fp16 && MathF.Abs(maxAbs) > (float)Half.MaxValue)
            throw new ArgumentException($"State value {maxAbs} is beyond fp16 range (65504); use the fp32 codec.", nameof(values));
    }

    private static void EncodePayload(ReadOnlySpan<float> values, int tokens, int hidden, StateCodec codec, Span<byte> payload)
    {
        switch (codec)
        {
            case StateCodec.Fp32:
                MemoryMarshal.AsBytes(values).CopyTo(payload);
                break;
            case StateCodec.Fp16:
                TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(payload));
                break;
            case StateCodec.Int8PerToken:
                for (int t = 0; t < tokens; t++)
                {
                    var row = values.Slice(t * hidden, hidden);
                    var dest = payload.Slice(t * (4 + hidden), 4 + hidden);
                    float maxAbs = MathF.Abs(TensorPrimitives.MaxMagnitude(row));
                    float scale = maxAbs / 127f;
                    BinaryPrimitives.WriteSingleLittleEndian(dest, scale);
                    var q = MemoryMarshal.Cast<byte, sbyte>(dest[4..]);
                    if (scale == 0f)
                    {
                        q.Clear();
                        continue;
                    }
                    float inverse = 1f / scale;
                    for (int i = 0; i < hidden; i++)
                        q[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inverse), -127f, 127f);
                }
                break;
            default:
                throw new NotSupportedException($"Codec {codec} is not implemented.");
        }
    }

    private static void DecodePayload(ReadOnlySpan<byte> payload, int tokens, int hidden, StateCodec codec, Span<float> values)
    {
        switch (codec)
        {
            case StateCodec.Fp32:
                payload.CopyTo(MemoryMarshal.AsBytes(values));
                break;
            case StateCodec.Fp16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(payload), values);
                break;
            case StateCodec.Int8PerToken:
                for (int t = 0; t < tokens; t++)
                {
                    var source = payload.Slice(t * (4 + hidden), 4 + hidden);
                    float scale = BinaryPrimitives.ReadSingleLittleEndian(source);
                    var q = MemoryMarshal.Cast<byte, sbyte>(source[4..]);
                    var row = values.Slice(t * hidden, hidden);
                    for (int i = 0; i < hidden; i++)
                        row[i] = q[i] * scale;
                }
                break;
            default:
                throw new NotSupportedException($"Codec {codec} is not implemented.");
        }
    }
}
