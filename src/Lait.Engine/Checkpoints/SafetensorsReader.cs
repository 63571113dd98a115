using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Lait.Engine.Checkpoints;

/// <summary>Reads a .safetensors file: an 8-byte little-endian header length, a JSON header mapping
/// tensor names to dtype, shape and [begin, end) byte offsets into the data section that follows.</summary>
internal static class SafetensorsReader
{
    // Headers of real models are well under a megabyte; a huge value means a corrupt or hostile file.
    private const long MaxHeaderBytes = 100L * 1024 * 1024;
    private const int ChunkBytes = 1 << 20;

    public static void ReadInto(string path, Dictionary<string, LoadedTensor> into)
    {
        using SafeFileHandle handle = OpenRead(path);
        long fileLength = RandomAccess.GetLength(handle);
        if (fileLength < 8)
        {
            throw new CheckpointException(path, null, $"file is truncated: {fileLength} bytes, shorter than the 8-byte header length.");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(handle, path, null, lengthBytes, 0);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new CheckpointException(path, null, $"header length {headerLength} runs beyond the end of the file ({fileLength} bytes); the file is truncated or not safetensors.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw new CheckpointException(path, null, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        }

        byte[] headerBytes = new byte[(int)headerLength];
        ReadExactly(handle, path, null, headerBytes, 8);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, null, $"header is not valid JSON: {e.Message}", e);
        }

        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException(path, null, "header JSON is not an object.");
            }

            foreach (JsonProperty entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }

                LoadedTensor tensor = ReadTensor(handle, path, entry, dataStart, dataLength);
                if (!into.TryAdd(tensor.Name, tensor))
                {
                    throw new CheckpointException(path, tensor.Name, "tensor name appears twice.");
                }
            }
        }
    }

    private static LoadedTensor ReadTensor(SafeFileHandle handle, string path, JsonProperty entry, long dataStart, long dataLength)
    {
        string name = entry.Name;
        JsonElement info = entry.Value;
        if (info.ValueKind != JsonValueKind.Object
            || !info.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !info.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !info.TryGetProperty("data_offsets", out JsonElement offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
        {
            throw new CheckpointException(path, name, "header entry lacks dtype, shape or a two-element data_offsets.");
        }

        string dtype = dtypeElement.GetString()!;
        StorageType type = dtype switch
        {
            "F32" => StorageType.F32,
            "F16" => StorageType.F16,
            "BF16" => StorageType.BF16,
            "F64" => StorageType.F64,
            "I64" => StorageType.I64,
            "I32" => StorageType.I32,
            _ => throw new CheckpointException(path, name, $"unsupported dtype '{dtype}' (supported: F32, F16, BF16, F64, I64, I32)."),
        };

        int[] shape = new int[shapeElement.GetArrayLength()];
        int d = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (!dim.TryGetInt32(out int value) || value < 0)
            {
                throw new CheckpointException(path, name, $"shape has an invalid dimension '{dim}'.");
            }

            shape[d++] = value;
        }

        if (!offsetsElement[0].TryGetInt64(out long begin) || !offsetsElement[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw new CheckpointException(path, name, $"invalid data_offsets {offsetsElement}.");
        }

        long count = LoadedTensor.ElementCount(shape);
        int elementSize = ElementConversion.SizeOf(type);
        if (count > Array.MaxLength)
        {
            throw new CheckpointException(path, name, $"{count} elements is more than one array can hold.");
        }

        if (end - begin != count * elementSize)
        {
            throw new CheckpointException(path, name, $"data_offsets [{begin}, {end}) hold {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {count * elementSize}.");
        }

        if (end > dataLength)
        {
            throw new CheckpointException(path, name, $"tensor data [{begin}, {end}) lies beyond the end of the data section ({dataLength} bytes); the file is truncated.");
        }

        float[] values = new float[count];
        ReadConverted(handle, path, name, type, dataStart + begin, values);
        return new LoadedTensor(name, shape, values);
    }

    /// <summary>Reads and converts in chunks so a large embedding matrix needs no second full-size buffer.</summary>
    internal static void ReadConverted(SafeFileHandle handle, string path, string name, StorageType type, long fileOffset, Span<float> destination)
    {
        int elementSize = ElementConversion.SizeOf(type);
        int elementsPerChunk = ChunkBytes / elementSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (int start = 0; start < destination.Length; start += elementsPerChunk)
            {
                int n = Math.Min(elementsPerChunk, destination.Length - start);
                Span<byte> bytes = buffer.AsSpan(0, n * elementSize);
                ReadExactly(handle, path, name, bytes, fileOffset + ((long)start * elementSize));
                string? problem = ElementConversion.Convert(type, bytes, destination.Slice(start, n));
                if (problem is not null)
                {
                    throw new CheckpointException(path, name, problem + ".");
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static SafeFileHandle OpenRead(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, null, $"cannot open: {e.Message}", e);
        }
    }

    private static void ReadExactly(SafeFileHandle handle, string path, string? name, Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(handle, destination, offset);
            if (read <= 0)
            {
                throw new CheckpointException(path, name, $"unexpected end of file at byte {offset}; the file is truncated.");
            }

            destination = destination[read..];
            offset += read;
        }
    }
}
