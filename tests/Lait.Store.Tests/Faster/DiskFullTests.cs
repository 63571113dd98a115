using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Lait.Store.Tests.Faster;

/// <summary>
/// A real small disk (an 8 MiB tmpfs) filling up: the store must refuse puts with a clear error before
/// FASTER reaches ENOSPC (where it would block), and keep every acknowledged state.
/// </summary>
public class DiskFullTests(ITestOutputHelper output)
{
    [TmpfsFact]
    public async Task RealDiskFull_FailsPutsClearly_AndAcknowledgedStatesSurviveReopen()
    {
        using var mount = TmpfsMount.TryCreate(8 << 20)!;
        var directory = Path.Combine(mount.Path, "store");
        var options = new FasterStoreOptions
        {
            Directory = directory, Codec = StateCodec.Fp16, PageSizeBits = 16, MemoryBytes = 256 << 10,
            ReadCacheBytes = 0, IndexBytes = 1 << 20, SegmentSizeBits = 20, MinFreeDiskBytes = 256 << 10,
        };
        var acked = new List<SegmentState>();
        Exception? failure = null;
        await using (var store = new FasterSegmentStore(options))
        {
            for (int i = 0; i < 400 && failure is null; i++)
            {
                var state = TestStates.State(700 + i, 32, 384);
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await store.PutAsync(state, timeout.Token);
                    acked.Add(state);
                }
                catch (Exception e)
                {
                    failure = e;
                }
            }
            output.WriteLine($"{acked.Count} puts acknowledged, then: {failure?.GetType().Name}: {failure?.Message}");
            Assert.NotNull(failure);
            Assert.IsType<StoreFullException>(failure);
            Assert.Contains("out of disk space", failure.Message);
            Assert.True(acked.Count > 20, "the disk should hold a few states before it is full");
            // Reads keep working on a full disk.
            Assert.Empty((await store.GetManyAsync([acked[0].Key.ComputeId()])).Missing);
        }
        // Closing (final checkpoint) and reopening on the still-full disk keeps every acknowledged state.
        await using (var store = new FasterSegmentStore(options))
        {
            var got = await store.GetManyAsync(acked.Select(s => s.Key.ComputeId()).ToArray());
            Assert.Empty(got.Missing);
        }
    }
}
