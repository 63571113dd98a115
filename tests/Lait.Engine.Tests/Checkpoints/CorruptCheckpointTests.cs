using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Lait.Engine.Checkpoints;
using Xunit;

namespace Lait.Engine.Tests.Checkpoints;

/// <summary>Damaged or unsupported checkpoints give a CheckpointException naming the file, the tensor
/// and the problem; never an IndexOutOfRange, a crash or silently wrong values.</summary>
public sealed class CorruptCheckpointTests : IDisposable
{
    private static readonly string s_goldenDir = RepoPaths.Golden("checkpoints");
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void MissingDirectory_NamesTheDirectory()
    {
        string missing = Path.Combine(_dir.Path, "nope");
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadDirectory(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void DirectoryWithoutWeights_ListsTheExpectedFiles()
    {
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadDirectory(_dir.Path));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("pytorch_model.bin", e.Message);
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        string path = Path.Combine(_dir.Path, "model.safetensors");
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void SafetensorsTruncatedInData_NamesTheLastTensorAndSaysTruncated()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(s_goldenDir, "f32", "model.safetensors"));
        string path = Write("model.safetensors", bytes[..^4]);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("truncated", e.Message);
        Assert.NotNull(e.TensorName);
        Assert.Contains(e.TensorName!, e.Message);
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void SafetensorsShorterThanLengthPrefix_SaysTruncated()
    {
        string path = Write("model.safetensors", new byte[] { 1, 2, 3 });
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void SafetensorsHeaderLengthBeyondFile_IsRejected()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(s_goldenDir, "f32", "model.safetensors"));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        string path = Write("model.safetensors", bytes);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("header length", e.Message);
        Assert.Contains("beyond the end of the file", e.Message);
    }

    [Fact]
    public void SafetensorsHeaderNotJson_IsRejected()
    {
        string path = Write("model.safetensors", Safetensors("{not json"u8.ToArray(), Array.Empty<byte>()));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void SafetensorsUnsupportedDtype_NamesDtypeAndTensor()
    {
        string header = """{"mask":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}""";
        string path = Write("model.safetensors", Safetensors(Encoding.UTF8.GetBytes(header), new byte[4]));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("'mask'", e.Message);
        Assert.Contains("unsupported dtype 'U8'", e.Message);
    }

    [Fact]
    public void SafetensorsDataOutOfRange_NamesTheTensor()
    {
        string header = """{"w":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""";
        string path = Write("model.safetensors", Safetensors(Encoding.UTF8.GetBytes(header), new byte[16]));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("'w'", e.Message);
        Assert.Contains("beyond the end of the data section", e.Message);
    }

    [Fact]
    public void SafetensorsOffsetsDisagreeWithShape_IsRejected()
    {
        string header = """{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,16]}}""";
        string path = Write("model.safetensors", Safetensors(Encoding.UTF8.GetBytes(header), new byte[16]));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("needs 24", e.Message);
    }

    [Fact]
    public void SafetensorsInt64BeyondFloatPrecision_IsRejectedNotRounded()
    {
        string header = """{"ids":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""";
        byte[] data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, (1L << 24) + 1);
        string path = Write("model.safetensors", Safetensors(Encoding.UTF8.GetBytes(header), data));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("not exactly representable", e.Message);
    }

    [Fact]
    public void ShardListedInIndexButMissing_NamesTheShard()
    {
        string shardedDir = Path.Combine(s_goldenDir, "sharded");
        File.Copy(Path.Combine(shardedDir, "model.safetensors.index.json"), Path.Combine(_dir.Path, "model.safetensors.index.json"));
        File.Copy(Path.Combine(shardedDir, "model-00001-of-00002.safetensors"), Path.Combine(_dir.Path, "model-00001-of-00002.safetensors"));
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadDirectory(_dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void TorchZipTruncated_SaysTruncatedOrCorrupt()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(s_goldenDir, "torch", "pytorch_model.bin"));
        string path = Write("pytorch_model.bin", bytes[..(bytes.Length / 2)]);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadDirectory(_dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated or corrupt", e.Message);
    }

    [Fact]
    public void TorchZipStorageShorterThanDeclared_NamesTheTensor()
    {
        string path = RewriteTorchZip((name, data) => name.EndsWith("/data/0", StringComparison.Ordinal) ? data[..8] : data);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("'dense.weight'", e.Message);
        Assert.Contains("declares 15 elements", e.Message);
    }

    [Fact]
    public void TorchZipPickleTruncated_IsRejected()
    {
        string path = RewriteTorchZip((name, data) => name.EndsWith("/data.pkl", StringComparison.Ordinal) ? data[..(data.Length - 20)] : data);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("pickle", e.Message);
    }

    [Fact]
    public void TorchZipStorageMissing_IsRejected()
    {
        string path = RewriteTorchZip((name, data) => name.EndsWith("/data/1", StringComparison.Ordinal) ? null : data);
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("'dense.bias'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void LegacyTorchPickle_IsRejectedWithAdvice()
    {
        string path = Write("pytorch_model.bin", new byte[] { 0x80, 0x02, 0x8a, 0x0a });
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("legacy", e.Message);
    }

    [Fact]
    public void NotAZip_IsRejected()
    {
        string path = Write("pytorch_model.bin", "hello world"u8.ToArray());
        CheckpointException e = Assert.Throws<CheckpointException>(() => CheckpointLoader.LoadFile(path));
        Assert.Contains("not a torch zip", e.Message);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir.Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Safetensors(byte[] header, byte[] data)
    {
        byte[] bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Copies the golden torch zip entry by entry through <paramref name="edit"/> (null drops an entry).</summary>
    private string RewriteTorchZip(Func<string, byte[], byte[]?> edit)
    {
        string path = Path.Combine(_dir.Path, "pytorch_model.bin");
        using (ZipArchive source = ZipFile.OpenRead(Path.Combine(s_goldenDir, "torch", "pytorch_model.bin")))
        using (ZipArchive target = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            foreach (ZipArchiveEntry entry in source.Entries)
            {
                using var buffer = new MemoryStream();
                using (Stream s = entry.Open())
                {
                    s.CopyTo(buffer);
                }

                byte[]? data = edit(entry.FullName, buffer.ToArray());
                if (data is null)
                {
                    continue;
                }

                using Stream output = target.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                output.Write(data);
            }
        }

        return path;
    }
}
