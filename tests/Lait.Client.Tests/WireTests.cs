using Lait.Grpc.Wire;
using Xunit;

namespace Lait.Client.Tests;

/// <summary>Wire formats the client writes and reads: grpc-timeout, grpc-message, metadata, framing.</summary>
public sealed class WireTests
{
    [Theory]
    [InlineData(0, "0n")]
    [InlineData(1, "100n")]
    [InlineData(999_999, "99999900n")]
    [InlineData(10_000_000, "1000000u")]
    [InlineData(36_000_000_000, "3600000m")]
    public void GrpcTimeout_Format_UsesFinestUnitWithin8Digits(long ticks, string expected)
    {
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromTicks(ticks)));
    }

    [Fact]
    public void GrpcTimeout_Format_RoundsUpNeverShortensAndStaysWithin8Digits()
    {
        foreach (TimeSpan t in new[] { TimeSpan.FromTicks(12_345_678_901), TimeSpan.FromDays(3), TimeSpan.FromDays(400), TimeSpan.FromMilliseconds(1234.5678) })
        {
            string header = GrpcTimeout.Format(t);
            Assert.True(header.Length <= 9, header);
            Assert.True(GrpcTimeout.TryParse(header, out TimeSpan parsed));
            Assert.True(parsed >= t, $"{header} < {t}");
        }
    }

    [Fact]
    public void GrpcTimeout_Format_NegativeIsZero()
    {
        Assert.Equal("0n", GrpcTimeout.Format(TimeSpan.FromSeconds(-3)));
    }

    [Theory]
    [InlineData("1H", 36_000_000_000)]
    [InlineData("2M", 1_200_000_000)]
    [InlineData("3S", 30_000_000)]
    [InlineData("4m", 40_000)]
    [InlineData("5u", 50)]
    [InlineData("700n", 7)]
    public void GrpcTimeout_Parse_EveryUnit(string header, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(header, out TimeSpan timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("1x")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    public void GrpcTimeout_Parse_RejectsMalformed(string header)
    {
        Assert.False(GrpcTimeout.TryParse(header, out _));
    }

    [Theory]
    [InlineData("plain ascii", "plain ascii")]
    [InlineData("100%", "100%25")]
    [InlineData("é", "%C3%A9")]
    [InlineData("a\nb", "a%0Ab")]
    public void GrpcMessage_Encode_PercentEncodesNonPrintableAndPercent(string message, string encoded)
    {
        Assert.Equal(encoded, GrpcMessageEncoding.Encode(message));
        Assert.Equal(message, GrpcMessageEncoding.Decode(encoded));
    }

    [Fact]
    public void GrpcMessage_RoundTripsAnyUnicode()
    {
        const string message = "数据 ✓ 🚀 ünïcödé %% \t end";
        string encoded = GrpcMessageEncoding.Encode(message);

        Assert.All(encoded, c => Assert.InRange(c, (char)0x20, (char)0x7E));
        Assert.Equal(message, GrpcMessageEncoding.Decode(encoded));
    }

    [Fact]
    public void GrpcMessage_Decode_KeepsMalformedEscapesLiterally()
    {
        Assert.Equal("50%zz and %", GrpcMessageEncoding.Decode("50%zz and %"));
    }

    [Fact]
    public void Metadata_BinaryEntries_AreUnpaddedBase64OnTheWireAndDecodeWithOrWithoutPadding()
    {
        var entry = new Metadata.Entry("x-data-bin", new byte[] { 1, 2, 3, 4 });

        Assert.Equal("AQIDBA", entry.WireValue);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Metadata.FromWire("x-data-bin", "AQIDBA").ValueBytes);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Metadata.FromWire("x-data-bin", "AQIDBA==").ValueBytes);
    }

    [Fact]
    public void Metadata_KeysAreLowerCasedAndValidated()
    {
        var metadata = new Metadata().Add("X-Mixed-Case", "v");

        Assert.Equal("x-mixed-case", metadata[0].Key);
        Assert.Equal("v", metadata.GetValue("x-MIXED-case"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("bad key", "v"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-text", "non-ascii é"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-bytes-bin", "text for a -bin key"));
        Assert.Throws<ArgumentException>(() => new Metadata().Add("x-text", new byte[] { 1 }));
    }

    [Fact]
    public async Task Framing_ReadAsync_ReadsMessagesThenNullAtCleanEnd()
    {
        byte[] one = MessageFraming.Frame(new byte[] { 9, 8, 7 }, compressed: false);
        byte[] two = MessageFraming.Frame(Array.Empty<byte>(), compressed: true);
        using var stream = new MemoryStream(one.Concat(two).ToArray());

        FramedMessage? first = await MessageFraming.ReadAsync(stream, 100, default);
        FramedMessage? second = await MessageFraming.ReadAsync(stream, 100, default);
        FramedMessage? end = await MessageFraming.ReadAsync(stream, 100, default);

        Assert.Equal(new byte[] { 9, 8, 7 }, first!.Value.Data);
        Assert.False(first.Value.Compressed);
        Assert.True(second!.Value.Compressed);
        Assert.Empty(second.Value.Data);
        Assert.Null(end);
    }

    [Fact]
    public async Task Framing_ReadAsync_TruncatedIsInternalAndOversizeIsResourceExhausted()
    {
        using var truncatedPrefix = new MemoryStream(new byte[] { 0, 0 });
        using var truncatedBody = new MemoryStream(MessageFraming.Frame(new byte[10], false)[..8]);
        using var oversize = new MemoryStream(MessageFraming.Frame(new byte[10], false));

        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(truncatedPrefix, 100, default).AsTask())).StatusCode);
        Assert.Equal(StatusCode.Internal, (await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(truncatedBody, 100, default).AsTask())).StatusCode);
        Assert.Equal(StatusCode.ResourceExhausted, (await Assert.ThrowsAsync<RpcException>(() => MessageFraming.ReadAsync(oversize, 9, default).AsTask())).StatusCode);
    }

    [Fact]
    public void Gzip_RoundTripsAndRefusesToInflatePastTheLimit()
    {
        byte[] data = new byte[100_000];
        byte[] compressed = GzipCompressionProvider.Instance.Compress(data);

        Assert.True(compressed.Length < 1000);
        Assert.Equal(data, GzipCompressionProvider.Instance.Decompress(compressed, 100_000));
        RpcException ex = Assert.Throws<RpcException>(() => GzipCompressionProvider.Instance.Decompress(compressed, 99_999));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
    }

    [Fact]
    public void Deflate_IsZlibFormatAndRoundTrips()
    {
        byte[] data = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("deflate me ", 200)));
        byte[] compressed = DeflateCompressionProvider.Instance.Compress(data);

        // zlib header: CMF 0x78 and a check value making (CMF*256 + FLG) a multiple of 31.
        Assert.Equal(0x78, compressed[0]);
        Assert.Equal(0, ((compressed[0] << 8) | compressed[1]) % 31);
        Assert.Equal(data, DeflateCompressionProvider.Instance.Decompress(compressed, data.Length));
    }

    [Fact]
    public void ContentType_AcceptsGrpcVariantsOnly()
    {
        Assert.True(GrpcProtocol.IsGrpcContentType("application/grpc"));
        Assert.True(GrpcProtocol.IsGrpcContentType("application/grpc+proto"));
        Assert.True(GrpcProtocol.IsGrpcContentType("application/grpc; charset=utf-8"));
        Assert.False(GrpcProtocol.IsGrpcContentType("application/grpc-web"));
        Assert.False(GrpcProtocol.IsGrpcContentType("application/json"));
        Assert.False(GrpcProtocol.IsGrpcContentType(null));
    }
}
