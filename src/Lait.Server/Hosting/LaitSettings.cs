using System.Globalization;
using Lait.Server.Configuration;
using Lait.Store.Codec;
using Lait.Store.Faster;
using Microsoft.Extensions.Configuration;

namespace Lait.Server.Hosting;

/// <summary>Where segment states live: the embedded FASTER store, or a Redis server shared by replicas.</summary>
public enum StoreBackend
{
    Faster,
    Redis,
}

/// <summary>A model to serve: its name (as clients say it) and its Hugging Face-layout folder.</summary>
public sealed record ModelLocation(string Name, string Directory);

/// <summary>
/// What the service serves and where it keeps state. Sources, later wins: appsettings.json
/// (section "Lait"), environment (LAIT_MODEL_DIRS as NAME=PATH or PATH, comma-separated;
/// LAIT_DEFAULT_MODEL, LAIT_STORE (faster|redis), LAIT_STORE_DIR, LAIT_REDIS, LAIT_REDIS_PREFIX,
/// LAIT_STATE_TTL_SECONDS, LAIT_DURABILITY, LAIT_CODEC, LAIT_METRICS_PORT, LAIT_HTTP_PORT,
/// LAIT_LOG_FORMAT, LAIT_OTLP_ENDPOINT), command line (--model-dir [NAME=]PATH repeatable, --default-model,
/// --store faster|redis, --store-dir, --redis host:port, --redis-prefix, --state-ttl-seconds, --durability durable|checkpoint, --codec fp16|fp32|int8, --metrics-port, --http-port,
/// --log-format text|json, --otlp-endpoint URL, --max-message-bytes, --max-streams-per-connection, --max-health-watches, --max-health-watches-per-connection, --stream-idle-seconds, --threads, limits as --max-*).
/// </summary>
public sealed class LaitSettings
{
    public const string DefaultModelDirectory = "models/lait-nli-minilm";

    public List<ModelLocation> Models { get; } = new();
    public string? DefaultModel { get; set; }
    public StoreBackend Store { get; set; } = StoreBackend.Faster;
    public string StoreDirectory { get; set; } = "data/store";
    /// <summary>StackExchange.Redis configuration ("host:port[,password=...]") when <see cref="Store"/> is Redis.</summary>
    public string? RedisConfiguration { get; set; }
    public string RedisKeyPrefix { get; set; } = "lait";
    /// <summary>Redis only: states expire this long after they were written; null keeps them until deleted.</summary>
    public TimeSpan? StateTimeToLive { get; set; }
    public DurabilityMode Durability { get; set; } = DurabilityMode.Durable;
    public StateCodec Codec { get; set; } = StateCodec.Fp16;
    /// <summary>HTTP/1.1 port serving /metrics; -1 disables it, 0 picks a free port.</summary>
    public int MetricsPort { get; set; } = 9464;
    /// <summary>HTTP/1.1 port serving the JSON API (gRPC transcoding); -1 disables it, 0 picks a free port.</summary>
    public int HttpPort { get; set; } = DefaultHttpPort;
    public const int DefaultHttpPort = 8080;
    public bool JsonLogs { get; set; }
    /// <summary>OTLP/HTTP endpoint for traces (e.g. http://collector:4318); none = no tracing.</summary>
    public string? OtlpEndpoint { get; set; }
    public int MaxMessageBytes { get; set; } = 16 * 1024 * 1024;
    /// <summary>Kestrel's HTTP/2 limit on concurrent calls per connection (more wait in the client).</summary>
    public int MaxStreamsPerConnection { get; set; } = 1000;
    public int Threads { get; set; } = Environment.ProcessorCount;
    public long StoreMemoryBytes { get; set; } = 256L << 20;
    public long StoreMaxLogBytes { get; set; } = 16L << 30;
    public ServiceLimits Limits { get; } = new();
    /// <summary>Health Watch bounds and the stream idle timeout (README: Limits and abuse).</summary>
    public Interceptors.TransportLimits Transport { get; } = new();
    public BatchingSettings Batching { get; } = new();

    public static LaitSettings Load(IReadOnlyList<string> args, IConfiguration configuration)
    {
        var s = new LaitSettings();
        var section = configuration.GetSection("Lait");
        foreach (var child in section.GetSection("Models").GetChildren())
        {
            if (child.Value is { } v) s.Models.Add(ParseModel(v));
        }
        s.DefaultModel = section["DefaultModel"] ?? s.DefaultModel;
        s.StoreDirectory = section["StoreDirectory"] ?? s.StoreDirectory;
        if (section["Durability"] is { } d) s.Durability = ParseDurability(d);
        if (section["Codec"] is { } c) s.Codec = ParseCodec(c);
        if (section["MetricsPort"] is { } mp) s.MetricsPort = ParseInt(mp, "MetricsPort", -1);
        if (section["HttpPort"] is { } hp) s.HttpPort = ParseInt(hp, "HttpPort", -1);

        if (Environment.GetEnvironmentVariable("LAIT_MODEL_DIRS") is { Length: > 0 } envModels)
        {
            s.Models.Clear();
            foreach (var m in envModels.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) s.Models.Add(ParseModel(m));
        }
        s.DefaultModel = Environment.GetEnvironmentVariable("LAIT_DEFAULT_MODEL") ?? s.DefaultModel;
        s.StoreDirectory = Environment.GetEnvironmentVariable("LAIT_STORE_DIR") ?? s.StoreDirectory;
        if (Environment.GetEnvironmentVariable("LAIT_STORE") is { Length: > 0 } backend) s.Store = ParseBackend(backend);
        s.RedisConfiguration = Environment.GetEnvironmentVariable("LAIT_REDIS") ?? s.RedisConfiguration;
        s.RedisKeyPrefix = Environment.GetEnvironmentVariable("LAIT_REDIS_PREFIX") ?? s.RedisKeyPrefix;
        if (Environment.GetEnvironmentVariable("LAIT_STATE_TTL_SECONDS") is { Length: > 0 } ttl) s.StateTimeToLive = TimeSpan.FromSeconds(ParseInt(ttl, "LAIT_STATE_TTL_SECONDS", 1));
        if (Environment.GetEnvironmentVariable("LAIT_DURABILITY") is { Length: > 0 } ed) s.Durability = ParseDurability(ed);
        if (Environment.GetEnvironmentVariable("LAIT_CODEC") is { Length: > 0 } ec) s.Codec = ParseCodec(ec);
        if (Environment.GetEnvironmentVariable("LAIT_METRICS_PORT") is { Length: > 0 } em) s.MetricsPort = ParseInt(em, "LAIT_METRICS_PORT", -1);
        if (Environment.GetEnvironmentVariable("LAIT_HTTP_PORT") is { Length: > 0 } eh) s.HttpPort = ParseInt(eh, "LAIT_HTTP_PORT", -1);
        if (Environment.GetEnvironmentVariable("LAIT_LOG_FORMAT") is { Length: > 0 } lf) s.JsonLogs = ParseLogFormat(lf);
        s.OtlpEndpoint = Environment.GetEnvironmentVariable("LAIT_OTLP_ENDPOINT") ?? s.OtlpEndpoint;

        bool modelsFromCommandLine = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value");
            switch (arg)
            {
                case "--model-dir":
                    if (!modelsFromCommandLine)
                    {
                        s.Models.Clear();
                        modelsFromCommandLine = true;
                    }
                    s.Models.Add(ParseModel(Value()));
                    break;
                case "--default-model": s.DefaultModel = Value(); break;
                case "--store-dir": s.StoreDirectory = Value(); break;
                case "--store": s.Store = ParseBackend(Value()); break;
                case "--redis": s.RedisConfiguration = Value(); break;
                case "--redis-prefix": s.RedisKeyPrefix = Value(); break;
                case "--state-ttl-seconds": s.StateTimeToLive = TimeSpan.FromSeconds(ParseInt(Value(), arg, 1)); break;
                case "--durability": s.Durability = ParseDurability(Value()); break;
                case "--codec": s.Codec = ParseCodec(Value()); break;
                case "--metrics-port": s.MetricsPort = ParseInt(Value(), arg, -1); break;
                case "--http-port": s.HttpPort = ParseInt(Value(), arg, -1); break;
                case "--log-format": s.JsonLogs = ParseLogFormat(Value()); break;
                case "--otlp-endpoint": s.OtlpEndpoint = Value(); break;
                case "--max-message-bytes": s.MaxMessageBytes = ParseInt(Value(), arg, 1024); break;
                case "--max-streams-per-connection": s.MaxStreamsPerConnection = ParseInt(Value(), arg, 1); break;
                case "--max-health-watches": s.Transport.MaxHealthWatches = ParseInt(Value(), arg, 1); break;
                case "--max-health-watches-per-connection": s.Transport.MaxHealthWatchesPerConnection = ParseInt(Value(), arg, 1); break;
                case "--stream-idle-seconds": s.Transport.StreamIdleTimeout = TimeSpan.FromSeconds(ParseInt(Value(), arg, 1)); break;
                case "--threads": s.Threads = ParseInt(Value(), arg, 1); break;
                case "--store-memory-bytes": s.StoreMemoryBytes = ParseInt(Value(), arg, 1 << 20); break;
                case "--max-segments-per-call": s.Limits.MaxSegmentsPerCall = ParseInt(Value(), arg, 1); break;
                case "--max-evidence-per-claim": s.Limits.MaxEvidencePerClaim = ParseInt(Value(), arg, 1); break;
                case "--max-document-sentences": s.Limits.MaxDocumentSentences = ParseInt(Value(), arg, 1); break;
                case "--max-text-chars": s.Limits.MaxTextChars = ParseInt(Value(), arg, 1); break;
                case "--max-in-flight-per-stream": s.Limits.MaxInFlightPerStream = ParseInt(Value(), arg, 1); break;
                case "--max-concurrent-streams": s.Limits.MaxConcurrentStreams = ParseInt(Value(), arg, 1); break;
                case "--max-batch-tokens": s.Batching.MaxBatchTokens = ParseInt(Value(), arg, 1); break;
                case "--max-queue-delay-ms": s.Batching.MaxQueueDelayMs = ParseInt(Value(), arg, 0); break;
                case "--max-queued-items": s.Batching.MaxQueuedItems = ParseInt(Value(), arg, 1); break;
                default:
                    throw new ArgumentException($"unknown option '{arg}' (see README: Configuration)");
            }
        }

        if (s.Store == StoreBackend.Redis && string.IsNullOrEmpty(s.RedisConfiguration))
        {
            throw new ArgumentException("--store redis needs --redis host:port (or LAIT_REDIS)");
        }
        if (s.Models.Count == 0) s.Models.Add(ParseModel(DefaultModelDirectory));
        s.DefaultModel ??= s.Models[0].Name;
        return s;
    }

    // "NAME=PATH" or "PATH" (the name is then the folder's name).
    private static ModelLocation ParseModel(string value)
    {
        int eq = value.IndexOf('=');
        string path = eq > 0 ? value[(eq + 1)..] : value;
        string name = eq > 0 ? value[..eq] : Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        if (name.Length == 0) throw new ArgumentException($"cannot name the model at '{value}': use NAME=PATH");
        return new ModelLocation(name, path);
    }

    private static StoreBackend ParseBackend(string value) => value.ToLowerInvariant() switch
    {
        "faster" => StoreBackend.Faster,
        "redis" => StoreBackend.Redis,
        _ => throw new ArgumentException($"store must be 'faster' or 'redis', got '{value}'"),
    };

    private static DurabilityMode ParseDurability(string value) => value.ToLowerInvariant() switch
    {
        "durable" => DurabilityMode.Durable,
        "checkpoint" => DurabilityMode.Checkpoint,
        _ => throw new ArgumentException($"durability must be 'durable' or 'checkpoint', got '{value}'"),
    };

    private static StateCodec ParseCodec(string value) => value.ToLowerInvariant() switch
    {
        "fp32" => StateCodec.Fp32,
        "fp16" => StateCodec.Fp16,
        "int8" => StateCodec.Int8PerToken,
        _ => throw new ArgumentException($"codec must be fp32, fp16 or int8, got '{value}'"),
    };

    private static bool ParseLogFormat(string value) => value.ToLowerInvariant() switch
    {
        "json" => true,
        "text" => false,
        _ => throw new ArgumentException($"log format must be 'text' or 'json', got '{value}'"),
    };

    private static int ParseInt(string value, string name, int min)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n) || n < min)
        {
            throw new ArgumentException($"{name} must be an integer >= {min}, got '{value}'");
        }
        return n;
    }
}
