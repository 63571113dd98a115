using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Lait.Engine.Checkpoints;

/// <summary>Loads Hugging Face weight files into fp32 tensors by name.</summary>
public static class CheckpointLoader
{
    public const string SafetensorsFileName = "model.safetensors";
    public const string SafetensorsIndexFileName = "model.safetensors.index.json";
    public const string PytorchFileName = "pytorch_model.bin";

    /// <summary>Loads the weights of a model folder. Preference: model.safetensors, then the sharded
    /// model.safetensors.index.json, then pytorch_model.bin.</summary>
    public static IReadOnlyDictionary<string, LoadedTensor> LoadDirectory(string modelDir)
    {
        var result = new Dictionary<string, LoadedTensor>(StringComparer.Ordinal);
        foreach (string file in WeightFiles(modelDir))
        {
            ReadFileInto(file, result);
        }

        return result;
    }

    /// <summary>Loads one .safetensors file or one torch zip (.bin/.pt/.pth) file.</summary>
    public static IReadOnlyDictionary<string, LoadedTensor> LoadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var result = new Dictionary<string, LoadedTensor>(StringComparer.Ordinal);
        ReadFileInto(path, result);
        return result;
    }

    /// <summary>Hex SHA-256 over the weight files in the order <see cref="LoadDirectory"/> reads them;
    /// each file contributes its name, its length and its bytes, so shard boundaries cannot be shifted
    /// without changing the hash. This is the model fingerprint that goes into the cache key.</summary>
    public static string Fingerprint(string modelDir)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        Span<byte> lengthBytes = stackalloc byte[8];
        foreach (string file in WeightFiles(modelDir))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(lengthBytes, stream.Length);
                hash.AppendData(lengthBytes);
                int read;
                while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CheckpointException(file, null, $"cannot read for fingerprinting: {e.Message}", e);
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The weight files of a model folder, in a fixed order.</summary>
    public static IReadOnlyList<string> WeightFiles(string modelDir)
    {
        ArgumentNullException.ThrowIfNull(modelDir);
        if (!Directory.Exists(modelDir))
        {
            throw new CheckpointException(modelDir, null, "model directory does not exist.");
        }

        string single = Path.Combine(modelDir, SafetensorsFileName);
        if (File.Exists(single))
        {
            return new[] { single };
        }

        string index = Path.Combine(modelDir, SafetensorsIndexFileName);
        if (File.Exists(index))
        {
            return ShardsFromIndex(modelDir, index);
        }

        string bin = Path.Combine(modelDir, PytorchFileName);
        if (File.Exists(bin))
        {
            return new[] { bin };
        }

        throw new CheckpointException(modelDir, null, $"no weights found: expected {SafetensorsFileName}, {SafetensorsIndexFileName} or {PytorchFileName}.");
    }

    private static List<string> ShardsFromIndex(string modelDir, string indexPath)
    {
        var shards = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out JsonElement map) || map.ValueKind != JsonValueKind.Object)
            {
                throw new CheckpointException(indexPath, null, "index has no weight_map object.");
            }

            foreach (JsonProperty entry in map.EnumerateObject())
            {
                string? shard = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString() : null;
                if (string.IsNullOrEmpty(shard) || shard != Path.GetFileName(shard))
                {
                    // Refuse paths: a shard must sit beside its index.
                    throw new CheckpointException(indexPath, entry.Name, $"weight_map names an invalid shard file '{entry.Value}'.");
                }

                shards.Add(shard);
            }
        }
        catch (JsonException e)
        {
            throw new CheckpointException(indexPath, null, $"index is not valid JSON: {e.Message}", e);
        }

        var files = new List<string>(shards.Count);
        foreach (string shard in shards)
        {
            string file = Path.Combine(modelDir, shard);
            if (!File.Exists(file))
            {
                throw new CheckpointException(file, null, $"shard listed in {SafetensorsIndexFileName} is missing.");
            }

            files.Add(file);
        }

        return files;
    }

    private static void ReadFileInto(string path, Dictionary<string, LoadedTensor> into)
    {
        if (!File.Exists(path))
        {
            throw new CheckpointException(path, null, "file does not exist.");
        }

        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            SafetensorsReader.ReadInto(path, into);
        }
        else
        {
            TorchZipReader.ReadInto(path, into);
        }
    }
}
