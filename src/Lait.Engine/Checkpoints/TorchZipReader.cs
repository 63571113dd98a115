using System.IO.Compression;

namespace Lait.Engine.Checkpoints;

/// <summary>Reads pytorch_model.bin in torch's zip format (torch >= 1.6): &lt;prefix&gt;/data.pkl holds the
/// pickled state dict whose tensors point, by persistent id, at raw little-endian storages in
/// &lt;prefix&gt;/data/&lt;key&gt;. No Python is involved.</summary>
internal static class TorchZipReader
{
    public static void ReadInto(string path, Dictionary<string, LoadedTensor> into)
    {
        using FileStream file = OpenFile(path);
        Span<byte> magic = stackalloc byte[2];
        if (file.Read(magic) < 2)
        {
            throw new CheckpointException(path, null, "file is truncated (shorter than 2 bytes).");
        }

        if (magic[0] == 0x80)
        {
            throw new CheckpointException(path, null, "legacy (pre-1.6, non-zip) torch serialization is not supported; re-save it with a current torch.save.");
        }

        if (magic[0] != (byte)'P' || magic[1] != (byte)'K')
        {
            throw new CheckpointException(path, null, "not a torch zip checkpoint (no zip signature).");
        }

        file.Position = 0;
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, null, $"zip directory is unreadable; the file is truncated or corrupt ({e.Message})", e);
        }

        using (archive)
        {
            ZipArchiveEntry pickleEntry = FindPickle(archive, path);
            string prefix = pickleEntry.FullName[..^"data.pkl".Length];
            CheckByteOrder(archive, prefix, path);

            byte[] pickle = ReadAll(pickleEntry, path, null);
            object? root = PickleMachine.Load(pickle, path);
            PickleDict stateDict = FindStateDict(root) ?? throw new CheckpointException(path, null, "the pickle holds no dict of tensors.");

            var storages = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (KeyValuePair<object?, object?> item in stateDict.Items)
            {
                if (item.Key is not string name || item.Value is not TensorReference tensor)
                {
                    continue; // non-tensor entries (e.g. metadata) are not weights
                }

                float[] storage = LoadStorage(archive, prefix, tensor.Storage, storages, path, name);
                LoadedTensor loaded = Materialize(name, tensor, storage, path);
                if (!into.TryAdd(name, loaded))
                {
                    throw new CheckpointException(path, name, "tensor name appears twice.");
                }
            }
        }
    }

    private static FileStream OpenFile(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, null, $"cannot open: {e.Message}", e);
        }
    }

    private static ZipArchiveEntry FindPickle(ZipArchive archive, string path)
    {
        foreach (ZipArchiveEntry entry in archive.Entries)
        {
            // The pickle sits one folder deep; the folder name is whatever the archive was saved as.
            if (entry.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && entry.FullName.IndexOf('/') == entry.FullName.Length - "/data.pkl".Length)
            {
                return entry;
            }
        }

        throw new CheckpointException(path, null, "zip holds no <name>/data.pkl; not a torch checkpoint.");
    }

    private static void CheckByteOrder(ZipArchive archive, string prefix, string path)
    {
        ZipArchiveEntry? entry = archive.GetEntry(prefix + "byteorder");
        if (entry is null)
        {
            return; // written before torch recorded it: always little-endian
        }

        string order = System.Text.Encoding.ASCII.GetString(ReadAll(entry, path, null)).Trim();
        if (order != "little")
        {
            throw new CheckpointException(path, null, $"byte order '{order}' is not supported (only little-endian).");
        }
    }

    private static PickleDict? FindStateDict(object? root)
    {
        if (root is not PickleDict dict)
        {
            return null;
        }

        foreach (KeyValuePair<object?, object?> item in dict.Items)
        {
            if (item.Value is TensorReference)
            {
                return dict;
            }
        }

        // Training checkpoints often wrap the weights: {"state_dict": {...}} or {"model": {...}}.
        foreach (KeyValuePair<object?, object?> item in dict.Items)
        {
            if (item.Key is "state_dict" or "model" && item.Value is PickleDict inner)
            {
                return FindStateDict(inner);
            }
        }

        return dict.Items.Count == 0 ? dict : null;
    }

    private static float[] LoadStorage(ZipArchive archive, string prefix, StorageReference storage, Dictionary<string, float[]> cache, string path, string tensorName)
    {
        if (cache.TryGetValue(storage.Key, out float[]? cached))
        {
            return cached;
        }

        StorageType type = storage.TypeName switch
        {
            "FloatStorage" => StorageType.F32,
            "HalfStorage" => StorageType.F16,
            "BFloat16Storage" => StorageType.BF16,
            "DoubleStorage" => StorageType.F64,
            "LongStorage" => StorageType.I64,
            "IntStorage" => StorageType.I32,
            _ => throw new CheckpointException(path, tensorName, $"unsupported storage type '{storage.TypeName}' (supported: Float, Half, BFloat16, Double, Long, Int)."),
        };

        string entryName = prefix + "data/" + storage.Key;
        ZipArchiveEntry entry = archive.GetEntry(entryName)
            ?? throw new CheckpointException(path, tensorName, $"storage entry '{entryName}' is missing from the zip.");
        int elementSize = ElementConversion.SizeOf(type);
        if (storage.ElementCount < 0 || storage.ElementCount > Array.MaxLength || entry.Length < storage.ElementCount * elementSize)
        {
            throw new CheckpointException(path, tensorName, $"storage '{storage.Key}' declares {storage.ElementCount} elements of {elementSize} bytes but its entry holds {entry.Length} bytes.");
        }

        byte[] bytes = ReadAll(entry, path, tensorName);
        if (bytes.LongLength < storage.ElementCount * elementSize)
        {
            throw new CheckpointException(path, tensorName, $"storage '{storage.Key}' is truncated: {bytes.Length} bytes read, {storage.ElementCount * elementSize} needed.");
        }

        float[] values = new float[storage.ElementCount];
        string? problem = ElementConversion.Convert(type, bytes, values);
        if (problem is not null)
        {
            throw new CheckpointException(path, tensorName, problem + ".");
        }

        cache[storage.Key] = values;
        return values;
    }

    /// <summary>Copies the strided view out of its storage into a fresh row-major array, so tied or
    /// sliced weights never alias each other.</summary>
    private static LoadedTensor Materialize(string name, TensorReference tensor, float[] storage, string path)
    {
        int rank = tensor.Size.Length;
        if (tensor.Stride.Length != rank)
        {
            throw new CheckpointException(path, name, $"size has {rank} dimensions but stride has {tensor.Stride.Length}.");
        }

        int[] shape = new int[rank];
        long count = 1;
        long maxIndex = tensor.StorageOffset;
        for (int d = 0; d < rank; d++)
        {
            if (tensor.Size[d] < 0 || tensor.Size[d] > int.MaxValue || tensor.Stride[d] < 0)
            {
                throw new CheckpointException(path, name, $"invalid size {tensor.Size[d]} or stride {tensor.Stride[d]} in dimension {d}.");
            }

            shape[d] = (int)tensor.Size[d];
            count *= tensor.Size[d];
            if (tensor.Size[d] > 0)
            {
                maxIndex += (tensor.Size[d] - 1) * tensor.Stride[d];
            }
        }

        if (count > Array.MaxLength)
        {
            throw new CheckpointException(path, name, $"{count} elements is more than one array can hold.");
        }

        if (count > 0 && (tensor.StorageOffset < 0 || maxIndex >= storage.Length))
        {
            throw new CheckpointException(path, name, $"view (offset {tensor.StorageOffset}, last element {maxIndex}) lies outside its storage of {storage.Length} elements.");
        }

        float[] values = new float[count];
        if (count == 0)
        {
            return new LoadedTensor(name, shape, values);
        }

        if (IsContiguous(tensor.Size, tensor.Stride))
        {
            Array.Copy(storage, tensor.StorageOffset, values, 0, count);
            return new LoadedTensor(name, shape, values);
        }

        // General strided gather with an odometer over the dimensions.
        long[] index = new long[rank];
        long source = tensor.StorageOffset;
        for (long i = 0; i < count; i++)
        {
            values[i] = storage[source];
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                source += tensor.Stride[d];
                if (index[d] < tensor.Size[d])
                {
                    break;
                }

                source -= index[d] * tensor.Stride[d];
                index[d] = 0;
            }
        }

        return new LoadedTensor(name, shape, values);
    }

    private static bool IsContiguous(long[] size, long[] stride)
    {
        long expected = 1;
        for (int d = size.Length - 1; d >= 0; d--)
        {
            if (size[d] != 1 && stride[d] != expected)
            {
                return false;
            }

            expected *= size[d];
        }

        return true;
    }

    private static byte[] ReadAll(ZipArchiveEntry entry, string path, string? tensorName)
    {
        try
        {
            using Stream stream = entry.Open();
            byte[] buffer = new byte[entry.Length];
            stream.ReadExactly(buffer);
            return buffer;
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new CheckpointException(path, tensorName, $"zip entry '{entry.FullName}' cannot be read; the file is truncated or corrupt ({e.Message})", e);
        }
    }
}
