using Lait.Store.Codec;
using Lait.Store.Faster;
using Lait.Store.Ids;
using Lait.Store.Tests.Contract;
using Lait.Store.Tests.Support;

namespace Lait.Store.Tests.Faster;

public sealed class FasterContractTests : SegmentStoreContractTests
{
    private readonly TempDirectory _directory = new("lait-faster-contract");

    /// <summary>Small pages (1 MiB, record limit 1 MiB - 1 KiB) keep the over-limit test cheap.</summary>
    internal static FasterStoreOptions SmallOptions(string directory, DurabilityMode durability = DurabilityMode.Durable) => new()
    {
        Directory = directory,
        Durability = durability,
        Codec = StateCodec.Fp32,
        PageSizeBits = 20,
        MemoryBytes = 8L << 20,
        ReadCacheBytes = 4L << 20,
        IndexBytes = 1L << 20,
        SegmentSizeBits = 24,
        MinFreeDiskBytes = 1L << 20,
    };

    protected override Task<ISegmentStore> CreateStoreAsync() =>
        Task.FromResult<ISegmentStore>(new FasterSegmentStore(SmallOptions(_directory.Path)));

    protected override async Task CorruptStoredRecordAsync(SegmentId id)
    {
        await Store.DisposeAsync();
        FasterFiles.FlipByteInRecord(_directory.Path, id, offsetInRecord: 200);
        Store = new FasterSegmentStore(SmallOptions(_directory.Path));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
