using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Lait.Store.Tests.Codec;

public class StateRecordTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(StateCodec.Fp32)]
    [InlineData(StateCodec.Fp16)]
    [InlineData(StateCodec.Int8PerToken)]
    public void RoundTrip_KeepsKeyShapeAndId(StateCodec codec)
    {
        var state = TestStates.State(1, 17, 64);
        var record = StateRecord.Encode(state, codec, out var id);
        Assert.Equal(state.Key.ComputeId(), id);
        Assert.Equal(StateRecord.EncodedLength(state, codec), record.Length);
        var back = StateRecord.Decode(id, record);
        Assert.Equal(state.Tokens, back.Tokens);
        Assert.Equal(state.Hidden, back.Hidden);
        Assert.Equal(state.Key.TokenIds.ToArray(), back.Key.TokenIds.ToArray());
        Assert.Equal(state.Key.ModelFingerprint, back.Key.ModelFingerprint);
        Assert.Equal(state.Key.P, back.Key.P);
        Assert.Equal(id, back.Key.ComputeId());
    }

    [Fact]
    public void Fp32_IsBitExact()
    {
        var state = TestStates.State(2, 32, 384);
        var back = StateRecord.Decode(state.Key.ComputeId(), StateRecord.Encode(state, StateCodec.Fp32, out _));
        Assert.Equal(state.Values, back.Values);
    }

    /// <summary>
    /// Reconstruction error on BERT-like states (32 x 384, two outlier dimensions), against the fp32
    /// original computed in double. Bounds: fp16 relative error per element &lt;= 2^-11 (round to nearest,
    /// 11-bit significand; all values here are in fp16's normal range); int8 absolute error per element
    /// &lt;= max|row| / 254 (half a quantisation step) plus fp32 rounding.
    /// </summary>
    [Theory]
    [InlineData(StateCodec.Fp16, 32, 384)]
    [InlineData(StateCodec.Int8PerToken, 32, 384)]
    [InlineData(StateCodec.Fp16, 128, 768)]
    [InlineData(StateCodec.Int8PerToken, 128, 768)]
    public void ReconstructionError_IsWithinCodecBound(StateCodec codec, int tokens, int hidden)
    {
        var state = TestStates.State(3, tokens, hidden);
        var back = StateRecord.Decode(state.Key.ComputeId(), StateRecord.Encode(state, codec, out _));
        double maxAbs = 0, maxRel = 0, errSq = 0, refSq = 0, worstBoundRatio = 0;
        for (int t = 0; t < tokens; t++)
        {
            double rowMax = 0;
            for (int d = 0; d < hidden; d++)
                rowMax = Math.Max(rowMax, Math.Abs(state.Values[t * hidden + d]));
            for (int d = 0; d < hidden; d++)
            {
                double x = state.Values[t * hidden + d], y = back.Values[t * hidden + d];
                double err = Math.Abs(x - y);
                maxAbs = Math.Max(maxAbs, err);
                if (Math.Abs(x) > 1e-3)
                    maxRel = Math.Max(maxRel, err / Math.Abs(x));
                errSq += err * err;
                refSq += x * x;
                double bound = codec == StateCodec.Fp16
                    ? Math.Max(Math.Abs(x) * Math.Pow(2, -11), Math.Pow(2, -25))
                    : rowMax / 254 * (1 + 1e-5) + 1e-7;
                worstBoundRatio = Math.Max(worstBoundRatio, err / bound);
            }
        }
        double relFrobenius = Math.Sqrt(errSq / refSq);
        output.WriteLine($"{codec} {tokens}x{hidden}: max abs {maxAbs:E3}, max rel (|x|>1e-3) {maxRel:E3}, " +
            $"relative Frobenius {relFrobenius:E3}, worst error/bound {worstBoundRatio:F3}");
        Assert.True(worstBoundRatio <= 1.0, $"error exceeds the codec bound by x{worstBoundRatio}");
        // Whole-state error: fp16 about 2^-12; int8 about 3% here, because the two outlier dimensions (6..14)
        // set each row's scale, so the step (~0.1) is coarse for the N(0, 0.6) bulk (rms error step/sqrt(12)).
        Assert.True(relFrobenius < (codec == StateCodec.Fp16 ? 3e-4 : 4e-2), $"relative Frobenius error {relFrobenius}");
    }

    [Fact]
    public void Int8_ZeroRow_DecodesToZeros()
    {
        var key = TestStates.Key(4, 2);
        var values = new float[2 * 8];
        values[8] = 1f;
        var back = StateRecord.Decode(key.ComputeId(), StateRecord.Encode(new SegmentState(key, 8, values), StateCodec.Int8PerToken, out _));
        Assert.All(back.Values.AsSpan(0, 8).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(1f, back.Values[8]);
    }

    [Fact]
    public void EveryFlippedBit_IsDetected_NeverDecoded()
    {
        var state = TestStates.State(5, 4, 16);
        var record = StateRecord.Encode(state, StateCodec.Fp16, out var id);
        for (int bit = 0; bit < record.Length * 8; bit++)
        {
            var copy = (byte[])record.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<StoreCorruptionException>(() => StateRecord.Decode(id, copy));
        }
    }

    [Fact]
    public void TruncatedOrForeignRecords_AreCorruption()
    {
        var state = TestStates.State(6, 4, 16);
        var record = StateRecord.Encode(state, StateCodec.Fp32, out var id);
        Assert.Throws<StoreCorruptionException>(() => StateRecord.Decode(id, record.AsSpan(0, record.Length - 1)));
        Assert.Throws<StoreCorruptionException>(() => StateRecord.Decode(id, record.AsSpan(0, 10)));
        Assert.Throws<StoreCorruptionException>(() => StateRecord.Decode(id, new byte[record.Length]));
        var otherId = TestStates.Key(7, 4).ComputeId();
        var e = Assert.Throws<StoreCorruptionException>(() => StateRecord.Decode(otherId, record));
        Assert.Contains("belongs to id", e.Reason);
    }

    [Fact]
    public void NonFiniteOrOutOfRangeValues_AreRejectedAtEncode()
    {
        var key = TestStates.Key(8, 2);
        var values = new float[2 * 4];
        values[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => StateRecord.Encode(new SegmentState(key, 4, values), StateCodec.Fp32, out _));
        values[3] = 70_000f;
        Assert.Throws<ArgumentException>(() => StateRecord.Encode(new SegmentState(key, 4, values), StateCodec.Fp16, out _));
        StateRecord.Encode(new SegmentState(key, 4, values), StateCodec.Fp32, out _);
        Assert.Throws<NotSupportedException>(() => StateRecord.Encode(new SegmentState(key, 4, values), StateCodec.Bf16, out _));
    }

    [Fact]
    public void Crc32C_MatchesKnownVectorAndSoftwareReference()
    {
        // RFC 3720 B.4 check value for "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        var data = new byte[1037];
        new Random(9).NextBytes(data);
        Assert.Equal(~Crc32C.AppendSoftware(0xFFFFFFFF, data), Crc32C.Compute(data));
    }

    [Fact]
    public void MismatchedShape_IsRejectedByState()
    {
        Assert.Throws<ArgumentException>(() => new SegmentState(TestStates.Key(1, 3), 4, new float[11]));
    }

    [Fact]
    public void DefaultId_IsEmpty()
    {
        Assert.True(default(SegmentId).IsEmpty);
        Assert.False(TestStates.Key(1, 3).ComputeId().IsEmpty);
    }
}
