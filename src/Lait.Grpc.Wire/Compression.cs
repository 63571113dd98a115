using System.IO.Compression;

namespace Lait.Grpc.Wire;

/// <summary>A message compression algorithm, named as in grpc-encoding.</summary>
public interface ICompressionProvider
{
    string EncodingName { get; }

    byte[] Compress(ReadOnlySpan<byte> data);

    /// <summary>
    /// Decompresses; throws RESOURCE_EXHAUSTED when the result would exceed
    /// <paramref name="maxDecompressedSize"/> (guards against compression bombs) and INTERNAL for
    /// corrupt input.
    /// </summary>
    byte[] Decompress(ReadOnlySpan<byte> data, int maxDecompressedSize);
}

/// <summary>gzip (RFC 1952), the compression every gRPC implementation supports.</summary>
public sealed class GzipCompressionProvider : StreamCompressionProvider
{
    public static readonly GzipCompressionProvider Instance = new();

    public GzipCompressionProvider(CompressionLevel level = CompressionLevel.Fastest)
        : base(level)
    {
    }

    public override string EncodingName => "gzip";

    protected override Stream CreateStream(Stream inner, CompressionMode mode, CompressionLevel level) =>
        mode == CompressionMode.Compress ? new GZipStream(inner, level, leaveOpen: true) : new GZipStream(inner, mode, leaveOpen: true);
}

/// <summary>gRPC's "deflate": the zlib format (RFC 1950), as grpc-java and grpc-js send it.</summary>
public sealed class DeflateCompressionProvider : StreamCompressionProvider
{
    public static readonly DeflateCompressionProvider Instance = new();

    public DeflateCompressionProvider(CompressionLevel level = CompressionLevel.Fastest)
        : base(level)
    {
    }

    public override string EncodingName => "deflate";

    protected override Stream CreateStream(Stream inner, CompressionMode mode, CompressionLevel level) =>
        mode == CompressionMode.Compress ? new ZLibStream(inner, level, leaveOpen: true) : new ZLibStream(inner, mode, leaveOpen: true);
}

/// <summary>A provider over a System.IO.Compression stream.</summary>
public abstract class StreamCompressionProvider : ICompressionProvider
{
    protected StreamCompressionProvider(CompressionLevel level)
    {
        Level = level;
    }

    public CompressionLevel Level { get; }

    public abstract string EncodingName { get; }

    public byte[] Compress(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream(data.Length / 2 + 64);
        using (Stream compressor = CreateStream(output, CompressionMode.Compress, Level))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    public unsafe byte[] Decompress(ReadOnlySpan<byte> data, int maxDecompressedSize)
    {
        fixed (byte* p = data)
        {
            using var input = new UnmanagedMemoryStream(p, data.Length);
            using Stream gzip = CreateStream(input, CompressionMode.Decompress, Level);
            using var output = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            try
            {
                int n;
                while ((n = gzip.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (output.Length + n > maxDecompressedSize)
                    {
                        throw new RpcException(StatusCode.ResourceExhausted,
                            $"decompressed message larger than max ({maxDecompressedSize})");
                    }

                    output.Write(buffer, 0, n);
                }
            }
            catch (InvalidDataException ex)
            {
                throw new RpcException(new Status(StatusCode.Internal, "failed to decompress message"), new Metadata(), ex);
            }

            return output.ToArray();
        }
    }

    protected abstract Stream CreateStream(Stream inner, CompressionMode mode, CompressionLevel level);
}

/// <summary>Looks up compression providers by grpc-encoding name.</summary>
public sealed class CompressionProviders
{
    private readonly Dictionary<string, ICompressionProvider> _byName = new(StringComparer.OrdinalIgnoreCase);

    public CompressionProviders(IEnumerable<ICompressionProvider> providers)
    {
        foreach (ICompressionProvider provider in providers)
        {
            _byName[provider.EncodingName] = provider;
        }

        // "identity" first, then the rest: the value of grpc-accept-encoding.
        AcceptEncoding = string.Join(",", new[] { GrpcProtocol.IdentityEncoding }.Concat(_byName.Keys));
    }

    public static CompressionProviders Default { get; } = new([GzipCompressionProvider.Instance, DeflateCompressionProvider.Instance]);

    /// <summary>"identity,gzip,...": what we can decode.</summary>
    public string AcceptEncoding { get; }

    public bool TryGet(string name, out ICompressionProvider provider) => _byName.TryGetValue(name, out provider!);

    /// <summary>True when a grpc-accept-encoding header value lists <paramref name="encoding"/>.</summary>
    public static bool AcceptsEncoding(string? acceptEncoding, string encoding)
    {
        if (string.IsNullOrEmpty(acceptEncoding))
        {
            return false;
        }

        foreach (string part in acceptEncoding.Split(','))
        {
            if (part.Trim().Equals(encoding, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
