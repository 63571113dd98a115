using Lait.Store.Codec;
using Lait.Store.Ids;
using Lait.Store.Names;
using Lait.Store.Tests.Support;
using Xunit;

namespace Lait.Store.Tests.Contract;

/// <summary>
/// Behaviour every <see cref="ISegmentStore"/> backend must have. Subclasses create the store (with the
/// fp32 codec, so values must come back bit-exact) and know how to corrupt a stored record.
/// </summary>
public abstract class SegmentStoreContractTests : IAsyncLifetime
{
    protected ISegmentStore Store { get; set; } = null!;

    protected abstract Task<ISegmentStore> CreateStoreAsync();

    /// <summary>Changes a byte inside the stored record of <paramref name="id"/>; may reopen <see cref="Store"/>.</summary>
    protected abstract Task CorruptStoredRecordAsync(SegmentId id);

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public virtual async Task DisposeAsync()
    {
        if (Store is not null)
            await Store.DisposeAsync();
    }

    [Fact]
    public async Task Put_ThenGet_ReturnsIdenticalState()
    {
        var state = TestStates.State(1);
        var put = await Store.PutAsync(state);
        Assert.Equal(state.Key.ComputeId(), put.Id);
        Assert.False(put.AlreadyPresent);
        var got = await Store.GetManyAsync([put.Id]);
        Assert.Empty(got.Missing);
        var back = Assert.Single(got.States)!;
        Assert.Equal(state.Values, back.Values);
        Assert.Equal(state.Hidden, back.Hidden);
        Assert.Equal(state.Key.TokenIds.ToArray(), back.Key.TokenIds.ToArray());
        Assert.Equal(put.Id, back.Key.ComputeId());
    }

    [Fact]
    public async Task PutTwice_IsIdempotent_AndReportsAlreadyPresent()
    {
        var state = TestStates.State(2);
        var first = await Store.PutAsync(state);
        var second = await Store.PutAsync(state);
        Assert.False(first.AlreadyPresent);
        Assert.True(second.AlreadyPresent);
        Assert.Equal(first.Id, second.Id);
        var back = (await Store.GetManyAsync([first.Id])).States[0]!;
        Assert.Equal(state.Values, back.Values);
    }

    [Fact]
    public async Task GetMany_KeepsRequestOrder_AndListsMissingIds()
    {
        var a = TestStates.State(10, 8, 32);
        var b = TestStates.State(11, 9, 32);
        var idA = (await Store.PutAsync(a)).Id;
        var idB = (await Store.PutAsync(b)).Id;
        var absent1 = TestStates.Key(12, 5).ComputeId();
        var absent2 = TestStates.Key(13, 5).ComputeId();
        var result = await Store.GetManyAsync([idB, absent1, idA, absent2, idB]);
        Assert.Equal(5, result.States.Count);
        Assert.Equal(b.Values, result.States[0]!.Values);
        Assert.Null(result.States[1]);
        Assert.Equal(a.Values, result.States[2]!.Values);
        Assert.Null(result.States[3]);
        Assert.Equal(b.Values, result.States[4]!.Values);
        Assert.Equal([absent1, absent2], result.Missing);
    }

    [Fact]
    public async Task GetMany_Empty_ReturnsEmpty()
    {
        var result = await Store.GetManyAsync([]);
        Assert.Empty(result.States);
        Assert.Empty(result.Missing);
    }

    [Fact]
    public async Task Delete_RemovesState_AndReportsWhetherItWasPresent()
    {
        var id = (await Store.PutAsync(TestStates.State(20, 4, 16))).Id;
        Assert.True(await Store.ExistsAsync(id));
        Assert.True(await Store.DeleteAsync(id));
        Assert.False(await Store.ExistsAsync(id));
        Assert.False(await Store.DeleteAsync(id));
        Assert.Equal([id], (await Store.GetManyAsync([id])).Missing);
        // A deleted id can be stored again.
        Assert.False((await Store.PutAsync(TestStates.State(20, 4, 16))).AlreadyPresent);
    }

    [Fact]
    public async Task Exists_IsFalseForUnknownId()
    {
        Assert.False(await Store.ExistsAsync(TestStates.Key(30, 3).ComputeId()));
    }

    [Fact]
    public async Task ConcurrentPuts_AllReadBackIdentical()
    {
        var states = Enumerable.Range(100, 64).Select(i => TestStates.State(i, 16, 64)).ToArray();
        var puts = await Task.WhenAll(states.Select(s => Task.Run(() => Store.PutAsync(s))));
        var got = await Store.GetManyAsync(puts.Select(p => p.Id).ToArray());
        Assert.Empty(got.Missing);
        for (int i = 0; i < states.Length; i++)
            Assert.Equal(states[i].Values, got.States[i]!.Values);
    }

    [Fact]
    public async Task Stats_CountPutsHitsAndMisses()
    {
        var id = (await Store.PutAsync(TestStates.State(40, 4, 16))).Id;
        await Store.PutAsync(TestStates.State(40, 4, 16));
        await Store.GetManyAsync([id, TestStates.Key(41, 3).ComputeId()]);
        var stats = Store.GetStats();
        Assert.Equal(2, stats.Puts);
        Assert.Equal(1, stats.PutsAlreadyPresent);
        Assert.Equal(2, stats.Gets);
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Misses);
        Assert.True(stats.BytesWritten > 4 * 16 * 4);
    }

    [Fact]
    public async Task StateOverRecordLimit_IsRejectedAsInvalidArgument()
    {
        int hidden = 1024;
        int tokens = Store.MaxRecordBytes / (hidden * 4) + 1;
        var state = new SegmentState(TestStates.Key(50, tokens), hidden, new float[tokens * hidden]);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Store.PutAsync(state));
        Assert.Contains("record limit", e.Message);
        Assert.False(await Store.ExistsAsync(state.Key.ComputeId()));
    }

    [Fact]
    public async Task CorruptRecord_IsReportedAsCorruption_NeverServed()
    {
        var good = TestStates.State(60, 8, 32);
        var bad = TestStates.State(61, 8, 32);
        var goodId = (await Store.PutAsync(good)).Id;
        var badId = (await Store.PutAsync(bad)).Id;
        await CorruptStoredRecordAsync(badId);
        var e = await Assert.ThrowsAsync<StoreCorruptionException>(() => Store.GetManyAsync([goodId, badId]));
        Assert.Equal(badId, e.Id);
        Assert.Equal(good.Values, (await Store.GetManyAsync([goodId])).States[0]!.Values);
        Assert.True(Store.GetStats().CorruptRecords >= 1);
    }

    [Fact]
    public async Task Names_PutResolveOverwriteDelete()
    {
        var id1 = TestStates.Key(70, 3).ComputeId();
        var id2 = TestStates.Key(71, 3).ComputeId();
        Assert.Null(await Store.ResolveNameAsync("docs", "a"));
        await Store.PutNameAsync("docs", "a", id1);
        Assert.Equal(id1, await Store.ResolveNameAsync("docs", "a"));
        Assert.Null(await Store.ResolveNameAsync("other", "a"));
        await Store.PutNameAsync("docs", "a", id2);
        Assert.Equal(id2, await Store.ResolveNameAsync("docs", "a"));
        Assert.True(await Store.DeleteNameAsync("docs", "a"));
        Assert.False(await Store.DeleteNameAsync("docs", "a"));
        Assert.Null(await Store.ResolveNameAsync("docs", "a"));
    }

    [Fact]
    public async Task ListNames_PagesInCodePointOrder_PerNamespace()
    {
        var names = new[] { "b", "a", "é", "Z", "a b", "日本", "😀", "zz", "a/1", "a/10", "a/2" };
        for (int i = 0; i < names.Length; i++)
            await Store.PutNameAsync("list", names[i], TestStates.Key(80 + i, 3).ComputeId());
        await Store.PutNameAsync("list-other", "zzz", TestStates.Key(99, 3).ComputeId());
        var expected = names.Order(Lait.Store.Names.NameRules.Order).ToArray();
        var seen = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var page = await Store.ListNamesAsync("list", 4, token);
            Assert.True(page.Names.Count <= 4);
            foreach (var entry in page.Names)
            {
                seen.Add(entry.Name);
                Assert.Equal(await Store.ResolveNameAsync("list", entry.Name), entry.Id);
            }
            token = page.NextPageToken;
            pages++;
        } while (token is not null && pages < 10);
        Assert.Equal(expected, seen);
        Assert.Equal(3, pages);
        Assert.Empty((await Store.ListNamesAsync("nobody", 10, null)).Names);
    }

    [Fact]
    public async Task InvalidNamesAndTokens_AreInvalidArguments()
    {
        var id = TestStates.Key(90, 3).ComputeId();
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutNameAsync("", "a", id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutNameAsync("ns{x}", "a", id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutNameAsync("ns", "a\nb", id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutNameAsync("ns", new string('x', NameRules.MaxNameBytes + 1), id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutNameAsync(new string('n', NameRules.MaxNamespaceBytes + 1), "a", id));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ListNamesAsync("ns", 0, null));
        await Assert.ThrowsAsync<FormatException>(() => Store.ListNamesAsync("ns", 10, "***not base64***"));
    }

    [Fact]
    public async Task Names_HoldThePublicLimitsBehindAModelPrefix()
    {
        // What the service stores for a 128-character namespace of a model with a long name, and names of
        // 512 code points of 2 and 4 UTF-8 bytes.
        string ns = new string('m', 200) + "/" + new string('n', 128);
        string accents = new('é', 512), emoji = string.Concat(Enumerable.Repeat("😀", 512));
        var id1 = TestStates.Key(120, 3).ComputeId();
        var id2 = TestStates.Key(121, 3).ComputeId();
        await Store.PutNameAsync(ns, accents, id1);
        await Store.PutNameAsync(ns, emoji, id2);
        Assert.Equal(id1, await Store.ResolveNameAsync(ns, accents));
        Assert.Equal(id2, await Store.ResolveNameAsync(ns, emoji));
        var page = await Store.ListNamesAsync(ns, 1, null);
        Assert.Equal(accents, Assert.Single(page.Names).Name);
        var next = await Store.ListNamesAsync(ns, 1, page.NextPageToken);
        Assert.Equal(emoji, Assert.Single(next.Names).Name);
    }

    [Theory]
    [InlineData("AAAA")]
    [InlineData("_-_-")]
    [InlineData("a")]
    [InlineData("long")]
    [InlineData("other-namespace")]
    [InlineData("altered")]
    [InlineData("unsigned")]
    public async Task PageTokens_NotIssuedForThisNamespace_AreFormatErrors(string kind)
    {
        foreach (var name in new[] { "a", "b", "c" })
        {
            await Store.PutNameAsync("tok", name, TestStates.Key(130, 3).ComputeId());
            await Store.PutNameAsync("tok2", name, TestStates.Key(130, 3).ComputeId());
        }
        string issued = (await Store.ListNamesAsync("tok", 1, null)).NextPageToken!;
        Assert.Equal("b", (await Store.ListNamesAsync("tok", 1, issued)).Names.Single().Name);
        string token = kind switch
        {
            "long" => new string('a', 10_000),
            "other-namespace" => issued,
            "altered" => issued[..^2] + (issued[^2] == 'A' ? "B" : "A") + issued[^1],
            // The previous format: the bare base64url of the last name.
            "unsigned" => System.Buffers.Text.Base64Url.EncodeToString("a"u8),
            _ => kind,
        };
        await Assert.ThrowsAsync<FormatException>(() => Store.ListNamesAsync(kind == "other-namespace" ? "tok2" : "tok", 1, token));
    }

    [Fact]
    public async Task DeleteNameIf_RemovesANameOnlyWhileItPointsAtTheId()
    {
        var id1 = TestStates.Key(140, 3).ComputeId();
        var id2 = TestStates.Key(141, 3).ComputeId();
        await Store.PutNameAsync("cas", "n", id2);
        Assert.False(await Store.DeleteNameIfAsync("cas", "n", id1));
        Assert.Equal(id2, await Store.ResolveNameAsync("cas", "n"));
        Assert.True(await Store.DeleteNameIfAsync("cas", "n", id2));
        Assert.Null(await Store.ResolveNameAsync("cas", "n"));
        Assert.False(await Store.DeleteNameIfAsync("cas", "n", id2));
        Assert.Empty((await Store.ListNamesAsync("cas", 10, null)).Names);
    }

    [Fact]
    public async Task NamedSegments_ANameOfADeletedSegmentIsAbsentAndRemoved()
    {
        var shared = await Store.PutAsync(TestStates.State(150));
        var other = await Store.PutAsync(TestStates.State(151));
        await Store.PutNameAsync("dn", "A", shared.Id);
        await Store.PutNameAsync("dn", "B", shared.Id);
        await Store.PutNameAsync("dn", "C", other.Id);

        var first = await Store.DeleteSegmentsAsync([], [("dn", "A")]);
        Assert.Equal(1, first.Deleted);
        Assert.Empty(first.NotFoundNames);
        Assert.Null(await Store.ResolveNameAsync("dn", "A"));

        // B dangles: deleting it removes it and reports it not found.
        var second = await Store.DeleteSegmentsAsync([shared.Id, other.Id], [("dn", "B"), ("dn", "missing")]);
        Assert.Equal(1, second.Deleted); // other
        Assert.Equal([0], second.NotFoundIds);
        Assert.Equal([0, 1], second.NotFoundNames);
        Assert.Null(await Store.ResolveNameAsync("dn", "B"));
        // C dangles now too (its segment was deleted by id); deleting it reports it not found and removes it.
        var third = await Store.DeleteSegmentsAsync([], [("dn", "C")]);
        Assert.Equal(0, third.Deleted);
        Assert.Equal([0], third.NotFoundNames);
        Assert.Empty((await Store.ListNamesAsync("dn", 10, null)).Names);
    }

    [Fact]
    public async Task NamedSegments_AHiddenNameIsLiveAgainWhenItsContentIsStoredAgain()
    {
        var state = TestStates.State(170);
        var put = await Store.PutAsync(state);
        await Store.PutNameAsync("dn3", "A", put.Id);
        Assert.True(await Store.DeleteAsync(put.Id));
        Assert.Equal(put.Id, await Store.ResolveNameAsync("dn3", "A")); // hidden, not removed: nothing but a delete of the name removes it
        Assert.Null((await Store.GetManyAsync([put.Id])).States[0]);
        await Store.PutAsync(state);
        Assert.NotNull((await Store.GetManyAsync([put.Id])).States[0]);
        var outcome = await Store.DeleteSegmentsAsync([], [("dn3", "A")]);
        Assert.Equal(1, outcome.Deleted);
        Assert.Empty(outcome.NotFoundNames);
    }

    [Fact]
    public async Task NamedSegments_TwoNamesOfOneSegmentInOneCallAreBothFound()
    {
        var shared = await Store.PutAsync(TestStates.State(160));
        await Store.PutNameAsync("dn2", "A", shared.Id);
        await Store.PutNameAsync("dn2", "B", shared.Id);
        var outcome = await Store.DeleteSegmentsAsync([shared.Id], [("dn2", "A"), ("dn2", "B")]);
        Assert.Equal(1, outcome.Deleted);
        Assert.Empty(outcome.NotFoundIds);
        Assert.Empty(outcome.NotFoundNames);
        Assert.Empty((await Store.ListNamesAsync("dn2", 10, null)).Names);
        Assert.Null((await Store.GetManyAsync([shared.Id])).States[0]);
    }

}
