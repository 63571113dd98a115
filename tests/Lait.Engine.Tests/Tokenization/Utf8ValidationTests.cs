using Lait.Engine.Tokenization;
using Xunit;

namespace Lait.Engine.Tests.Tokenization;

public sealed class Utf8ValidationTests
{
    [Fact]
    public void ValidText_IsAccepted()
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes("plain, Crème, 北京, 😀");
        Assert.Equal(-1, Utf8Validation.IndexOfInvalidByte(utf8));
        Assert.True(Utf8Validation.TryDecode(utf8, out string? text, out _));
        Assert.Equal("plain, Crème, 北京, 😀", text);
        Assert.Equal(-1, Utf8Validation.IndexOfInvalidByte(ReadOnlySpan<byte>.Empty));
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x80, 0x62 }, 1)]                    // lone continuation byte
    [InlineData(new byte[] { 0x61, 0x62, 0xC0, 0x80 }, 2)]              // overlong encoding of NUL
    [InlineData(new byte[] { 0x61, 0xE2, 0x82 }, 1)]                    // sequence cut off at the end
    [InlineData(new byte[] { 0xE2, 0x82, 0x41 }, 0)]                    // sequence interrupted
    [InlineData(new byte[] { 0x41, 0x42, 0x43, 0xED, 0xA0, 0x80 }, 3)]  // encoded UTF-16 surrogate
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 }, 0)]              // above U+10FFFF
    [InlineData(new byte[] { 0xC3, 0xA9, 0xFF }, 2)]                    // byte never used in UTF-8
    public void InvalidBytes_AreReportedAtTheirByteOffset(byte[] bytes, int offset)
    {
        Assert.Equal(offset, Utf8Validation.IndexOfInvalidByte(bytes));
        Assert.False(Utf8Validation.TryDecode(bytes, out string? text, out int reported));
        Assert.Null(text);
        Assert.Equal(offset, reported);
        InvalidTextException e = Assert.Throws<InvalidTextException>(() => Utf8Validation.DecodeOrThrow(bytes, "segment 7"));
        Assert.Equal(offset, e.Offset);
        Assert.Contains("segment 7", e.Message);
        Assert.Contains($"byte offset {offset}", e.Message);
    }

    [Fact]
    public void UnpairedSurrogateInString_IsFound()
    {
        Assert.Equal(-1, Utf8Validation.IndexOfUnpairedSurrogate("ok 😀"));
        Assert.Equal(2, Utf8Validation.IndexOfUnpairedSurrogate("ab\ud83dc"));
        Assert.Equal(0, Utf8Validation.IndexOfUnpairedSurrogate("\ude00"));
    }
}
