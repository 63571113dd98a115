using System.Security.Cryptography;
using Lait.Store.Ids;
using Lait.Store.Tests.Support;
using Xunit;

namespace Lait.Store.Tests.Ids;

public class SegmentIdTests
{
    private static SegmentKey Make(string model = "m", int p = 3, string tokenizer = "t",
        PositionMode mode = PositionMode.PerSegment, SegmentRole role = SegmentRole.Other, params int[] tokens) =>
        new(model, p, tokenizer, mode, role, tokens.Length == 0 ? new[] { 101, 2000, 102 } : tokens);

    [Fact]
    public void SameKey_GivesSameId_AndEveryFieldChangesIt()
    {
        var baseline = Make().ComputeId();
        Assert.Equal(baseline, Make().ComputeId());
        var variants = new[]
        {
            Make(model: "m2"), Make(p: 4), Make(tokenizer: "t2"), Make(mode: PositionMode.Continuous),
            Make(role: SegmentRole.First), Make(tokens: [101, 2001, 102]), Make(tokens: [101, 2000, 102, 102]),
        };
        var ids = new HashSet<SegmentId> { baseline };
        foreach (var v in variants)
            Assert.True(ids.Add(v.ComputeId()), "a key field did not change the id");
    }

    [Fact]
    public void LengthPrefixes_KeepShiftedFieldBoundariesApart()
    {
        // Without length prefixes "ab"+"c" and "a"+"bc" would hash the same bytes.
        Assert.NotEqual(Make(model: "ab", tokenizer: "c").ComputeId(), Make(model: "a", tokenizer: "bc").ComputeId());
    }

    [Fact]
    public void Id_IsSha256OfDocumentedEncoding()
    {
        var key = Make(model: "M", p: 2, tokenizer: "T", role: SegmentRole.First, tokens: [7, -1]);
        var expected = new List<byte>();
        expected.AddRange("lait.segment-key.v1\0"u8.ToArray());
        expected.AddRange([1, 0, (byte)'M']);
        expected.AddRange(BitConverter.GetBytes(2));
        expected.AddRange([1, 0, (byte)'T']);
        expected.AddRange([0, 0]); // per-segment positions, first role
        expected.AddRange(BitConverter.GetBytes(2));
        expected.AddRange(BitConverter.GetBytes(7));
        expected.AddRange(BitConverter.GetBytes(-1));
        var digest = SHA256.HashData(expected.ToArray());
        Assert.Equal(Convert.ToHexStringLower(digest), key.ComputeId().ToString());
    }

    [Fact]
    public void HexForm_RoundTrips_AndAcceptsUpperCase()
    {
        var id = TestStates.Key(5, 10).ComputeId();
        var text = id.ToString();
        Assert.Equal(64, text.Length);
        Assert.Equal(id, SegmentId.Parse(text));
        Assert.Equal(id, SegmentId.Parse(text.ToUpperInvariant()));
        Assert.Equal(id, SegmentId.FromBytes(id.ToBytes()));
    }

    [Theory]
    [InlineData("", "expected 64 hex characters")]
    [InlineData("abc", "expected 64 hex characters")]
    [InlineData("zz00000000000000000000000000000000000000000000000000000000000000", "character 0 is not a hex digit")]
    [InlineData("00000000000000000000000000000000000000000000000000000000000000 0", "character 62 is not a hex digit")]
    public void MalformedText_ThrowsFormatExceptionSayingWhy(string text, string reason)
    {
        var e = Assert.Throws<FormatException>(() => SegmentId.Parse(text));
        Assert.Contains(reason, e.Message);
        Assert.False(SegmentId.TryParse(text, out _));
    }

    [Fact]
    public void InvalidKeyFields_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Make(model: ""));
        Assert.Throws<ArgumentOutOfRangeException>(() => Make(p: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentKey("m", 1, "t", (PositionMode)9, SegmentRole.First, new[] { 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentKey("m", 1, "t", PositionMode.Continuous, SegmentRole.First, Array.Empty<int>()));
        Assert.Throws<ArgumentException>(() => Make(model: new string('x', 300)));
    }
}
