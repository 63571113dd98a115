using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.Tests.Support;
using Xunit;

namespace Lait.Store.Tests.Faster;

/// <summary>FASTER-only behaviour: persistence, locking, disk faults, cold reads, the space bound.</summary>
public class FasterStoreTests
{
    [Fact]
    public async Task GracefulReopen_KeepsStatesAndNames()
    {
        using var directory = new TempDirectory();
        var state = TestStates.State(1, 8, 32);
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
        {
            await store.PutAsync(state);
            await store.PutNameAsync("ns", "first", state.Key.ComputeId());
            await store.PutNameAsync("ns", "gone", state.Key.ComputeId());
            await store.DeleteNameAsync("ns", "gone");
        }
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
        {
            var got = await store.GetManyAsync([state.Key.ComputeId()]);
            Assert.Equal(state.Values, got.States[0]!.Values);
            Assert.Equal(state.Key.ComputeId(), await store.ResolveNameAsync("ns", "first"));
            Assert.Null(await store.ResolveNameAsync("ns", "gone"));
            Assert.Single((await store.ListNamesAsync("ns", 10, null)).Names);
        }
    }

    [Fact]
    public async Task TableWhoseOnlyCheckpointNeverCompleted_OpensEmpty_OthersKeepTheirStates()
    {
        using var directory = new TempDirectory();
        var state = TestStates.State(2, 8, 32);
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
        {
            await store.PutAsync(state);
        }
        // As left by a disk that filled during the names table's first checkpoint: checkpoint files
        // but no completed checkpoint, and therefore no acknowledged name.
        string names = Path.Combine(directory.Path, "names", "checkpoints");
        Directory.Delete(names, recursive: true);
        string partial = Path.Combine(names, "cpr-checkpoints", Guid.NewGuid().ToString());
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, "snapshot.dat"), new byte[4096]);

        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
        {
            var got = await store.GetManyAsync([state.Key.ComputeId()]);
            Assert.Equal(state.Values, got.States[0]!.Values);
            Assert.Empty((await store.ListNamesAsync("ns", 10, null)).Names);
            await store.PutNameAsync("ns", "after", state.Key.ComputeId());
        }
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
        {
            Assert.Equal(state.Key.ComputeId(), await store.ResolveNameAsync("ns", "after"));
        }
    }

    [Fact]
    public async Task CheckpointMode_PutsAreReadableAtOnce_AndDurableAfterGracefulClose()
    {
        using var directory = new TempDirectory();
        var states = Enumerable.Range(0, 20).Select(i => TestStates.State(200 + i, 8, 32)).ToArray();
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path, DurabilityMode.Checkpoint)))
        {
            foreach (var s in states)
                await store.PutAsync(s);
            Assert.Empty((await store.GetManyAsync(states.Select(s => s.Key.ComputeId()).ToArray())).Missing);
        }
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path, DurabilityMode.Checkpoint)))
            Assert.Empty((await store.GetManyAsync(states.Select(s => s.Key.ComputeId()).ToArray())).Missing);
    }

    [Fact]
    public async Task SecondOpen_OfSameDirectory_IsRefusedWithClearMessage()
    {
        using var directory = new TempDirectory();
        await using var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path));
        var e = Assert.Throws<StoreOpenException>(() => new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)));
        Assert.Contains("in use by another process", e.Message);
        // The first store is unaffected.
        await store.PutAsync(TestStates.State(2, 4, 16));
    }

    [Fact]
    public async Task LockIsReleasedAtDispose()
    {
        using var directory = new TempDirectory();
        await new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)).DisposeAsync();
        await new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)).DisposeAsync();
    }

    [Fact]
    public void DirectoryThatCannotBeCreated_GivesStoreOpenException()
    {
        using var directory = new TempDirectory();
        var file = Path.Combine(directory.Path, "a-file");
        File.WriteAllText(file, "not a directory");
        var e = Assert.Throws<StoreOpenException>(() => new FasterSegmentStore(FasterContractTests.SmallOptions(Path.Combine(file, "store"))));
        Assert.Contains("cannot be created", e.Message);
    }

    [Fact]
    public async Task LowDisk_RefusesPutsWithStoreFull_AndKeepsServingReads()
    {
        using var directory = new TempDirectory();
        var kept = TestStates.State(3, 4, 16);
        await using (var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path)))
            await store.PutAsync(kept);
        var full = FasterContractTests.SmallOptions(directory.Path) with { MinFreeDiskBytes = long.MaxValue };
        await using (var store = new FasterSegmentStore(full))
        {
            var refused = TestStates.State(4, 4, 16);
            var e = await Assert.ThrowsAsync<StoreFullException>(() => store.PutAsync(refused));
            Assert.Contains("out of disk space", e.Message);
            Assert.False(await store.ExistsAsync(refused.Key.ComputeId()));
            Assert.Equal(kept.Values, (await store.GetManyAsync([kept.Key.ComputeId()])).States[0]!.Values);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1 << 20)]
    public async Task ColdReads_FromDiskAfterMemoryIsExceeded_ReturnIdenticalStates(int readCacheBytes)
    {
        using var directory = new TempDirectory();
        // 64 KiB pages, 256 KiB of log in memory; 120 states of ~25 KB = ~3 MB, mostly on disk. With a read
        // cache, the second pass is served partly from it.
        var options = new FasterStoreOptions
        {
            Directory = directory.Path, Codec = StateCodec.Fp16, PageSizeBits = 16, MemoryBytes = 256 << 10,
            ReadCacheBytes = readCacheBytes, IndexBytes = 1 << 20, SegmentSizeBits = 22, MinFreeDiskBytes = 1 << 20,
        };
        var states = Enumerable.Range(0, 120).Select(i => TestStates.State(300 + i, 32, 384)).ToArray();
        await using var store = new FasterSegmentStore(options);
        await Task.WhenAll(states.Select(s => store.PutAsync(s)));
        for (int pass = 0; pass < 2; pass++)
        {
            var got = await store.GetManyAsync(states.Select(s => s.Key.ComputeId()).ToArray());
            Assert.Empty(got.Missing);
            for (int i = 0; i < states.Length; i++)
            {
                var expected = StateRecord.Decode(states[i].Key.ComputeId(), StateRecord.Encode(states[i], StateCodec.Fp16, out _));
                Assert.Equal(expected.Values, got.States[i]!.Values);
            }
        }
    }

    [Fact]
    public async Task FlippedByteInAColdRecordOnDisk_IsDataLoss_NeverServed()
    {
        using var directory = new TempDirectory();
        var options = new FasterStoreOptions
        {
            Directory = directory.Path, Codec = StateCodec.Fp16, PageSizeBits = 16, MemoryBytes = 256 << 10,
            ReadCacheBytes = 0, IndexBytes = 1 << 20, SegmentSizeBits = 22, MinFreeDiskBytes = 1 << 20,
        };
        var states = Enumerable.Range(0, 60).Select(i => TestStates.State(400 + i, 32, 384)).ToArray();
        await using (var store = new FasterSegmentStore(options))
        {
            foreach (var s in states)
                await store.PutAsync(s);
        }
        // The oldest record is far below the in-memory tail after reopening, so it is read from the file.
        FasterFiles.FlipByteInRecord(directory.Path, states[0].Key.ComputeId(), offsetInRecord: 5000);
        await using (var store = new FasterSegmentStore(options))
        {
            var e = await Assert.ThrowsAsync<StoreCorruptionException>(() => store.GetManyAsync([states[0].Key.ComputeId()]));
            Assert.Contains("checksum", e.Reason);
            Assert.Empty((await store.GetManyAsync(states[1..].Select(s => s.Key.ComputeId()).ToArray())).Missing);
        }
    }

    [Fact]
    public async Task SizeBound_EvictsOldestStates_KeepsNewest()
    {
        using var directory = new TempDirectory();
        var options = new FasterStoreOptions
        {
            Directory = directory.Path, Codec = StateCodec.Fp16, PageSizeBits = 16, MemoryBytes = 256 << 10,
            ReadCacheBytes = 0, IndexBytes = 1 << 20, SegmentSizeBits = 20, MinFreeDiskBytes = 1 << 20,
            MaxLogBytes = 1 << 20,
        };
        var states = Enumerable.Range(0, 160).Select(i => TestStates.State(500 + i, 32, 384)).ToArray();
        await using var store = new FasterSegmentStore(options);
        foreach (var s in states)
            await store.PutAsync(s);
        // The bound is applied after each commit; one more put makes sure a commit ran after the last ones.
        await store.PutAsync(TestStates.State(999, 4, 16));
        Assert.True(store.GetStats().SizeBytes <= options.MaxLogBytes + (1 << 16), $"log is {store.GetStats().SizeBytes} bytes");
        Assert.False(await store.ExistsAsync(states[0].Key.ComputeId()));
        var newest = states[^10..];
        var got = await store.GetManyAsync(newest.Select(s => s.Key.ComputeId()).ToArray());
        Assert.Empty(got.Missing);
    }

    [Fact]
    public void Bf16Codec_IsRejectedAtOpen()
    {
        using var directory = new TempDirectory();
        var options = new FasterStoreOptions { Directory = directory.Path, Codec = StateCodec.Bf16 };
        Assert.Throws<NotSupportedException>(() => new FasterSegmentStore(options));
    }

    [Fact]
    public async Task OperationsAfterDispose_AreUnavailable()
    {
        using var directory = new TempDirectory();
        var store = new FasterSegmentStore(FasterContractTests.SmallOptions(directory.Path));
        await store.DisposeAsync();
        await Assert.ThrowsAsync<StoreUnavailableException>(() => store.GetManyAsync([TestStates.Key(1, 3).ComputeId()]));
    }
}
