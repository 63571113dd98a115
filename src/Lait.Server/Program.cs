using Lait.Server.Hosting;
using Lait.Server.Metrics;
using Lait.Server.Models;
using Lait.Server.Service;
using Lait.Store;
using Lait.Store.Faster;
using Lait.Store.Redis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The LaitGrpc host: listens at once (health says NOT_SERVING), loads the models and recovers the
// segment store, then serves lait.v1.Lait and reports SERVING. SIGTERM drains calls, checkpoints
// the store and exits.
IConfiguration configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
    .Build();

ServerSettings settings;
LaitSettings lait;
try
{
    settings = ServerSettings.Load(args, configuration);
    if (settings.RemainingArgs.Contains("--probe"))
    {
        string probedService = settings.RemainingArgs.SkipWhile(a => a != "--probe").Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "";
        string probedHost = settings.Host is "0.0.0.0" or "*" ? "127.0.0.1" : settings.Host;
        return await HealthProbe.RunAsync(probedHost, settings.Port, probedService, settings.TlsCertificatePath is not null, TimeSpan.FromSeconds(5));
    }
    lait = LaitSettings.Load(settings.RemainingArgs, configuration);
}
catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

var metrics = new MetricsRegistry();
using var tracing = Tracing.Start(lait.OtlpEndpoint);
LaitHost host = LaitHost.Create(settings, lait, metrics);
await using var app = host.App;

await host.StartAsync();
ILoggerFactory loggers = app.Services.GetRequiredService<ILoggerFactory>();
ILogger logger = loggers.CreateLogger("Lait.Server");
// The first line on stdout names the gRPC address: tests and scripts wait for it.
Console.WriteLine($"LISTENING {settings.Host}:{host.GrpcPort}");
if (host.MetricsPort >= 0) Console.WriteLine($"METRICS {settings.Host}:{host.MetricsPort}");
if (host.HttpPort >= 0) Console.WriteLine($"HTTP {settings.Host}:{host.HttpPort}");
logger.LogInformation("LaitGrpc listening on {Scheme}://{Host}:{Port}, JSON on {JsonPort} (auth: {Auth})", host.UsesTls ? "https" : "http", settings.Host, host.GrpcPort,
    host.HttpPort >= 0 ? host.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : "off",
    settings.ApiKeys.Count > 0 ? $"{settings.ApiKeys.Count} API key(s)" : "none");

var entries = new List<ServedModelEntry>();
ISegmentStore? store = null;
try
{
    foreach (var location in lait.Models)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var model = EngineServedModel.Load(location.Name, location.Directory, new Lait.Engine.Model.EngineOptions { Threads = lait.Threads });
        entries.Add(new ServedModelEntry(model, lait.Batching, (kind, items, tokens) =>
        {
            metrics.Histogram("lait_batch_items", "Items per compute batch", [1, 2, 4, 8, 16, 32, 64, 128, 256], "model", "stage").Observe(items, location.Name, kind);
            metrics.Histogram("lait_batch_tokens", "Tokens per compute batch", [16, 64, 256, 1024, 4096, 16384], "model", "stage").Observe(tokens, location.Name, kind);
        }));
        var d = model.Description;
        logger.LogInformation("model {Name} loaded from {Dir} in {Ms} ms: {Arch} L={L} P={P} hidden={H} positions={Mode} fingerprint={Fp}",
            d.Name, location.Directory, started.ElapsedMilliseconds, d.Architecture, d.NumLayers, d.TowerLayers, d.HiddenSize, d.PositionMode, d.Fingerprint[..16]);
    }
    var catalog = new ModelCatalog(entries, lait.DefaultModel!);
    var recovering = System.Diagnostics.Stopwatch.StartNew();
    bool durable;
    if (lait.Store == StoreBackend.Redis)
    {
        store = await RedisSegmentStore.ConnectAsync(new RedisStoreOptions
        {
            Configuration = lait.RedisConfiguration!,
            KeyPrefix = lait.RedisKeyPrefix,
            Codec = lait.Codec,
            StateTimeToLive = lait.StateTimeToLive,
            Logger = loggers.CreateLogger("Lait.Store"),
        });
        // Redis' own persistence (AOF, RDB) decides what survives a crash; we cannot promise it per put.
        durable = false;
        logger.LogInformation("segment store: Redis at {Redis} (prefix {Prefix}, codec {Codec})", lait.RedisConfiguration, lait.RedisKeyPrefix, lait.Codec);
    }
    else
    {
        store = new FasterSegmentStore(new FasterStoreOptions
        {
            Directory = lait.StoreDirectory,
            Durability = lait.Durability,
            Codec = lait.Codec,
            MemoryBytes = lait.StoreMemoryBytes,
            MaxLogBytes = lait.StoreMaxLogBytes,
            Logger = loggers.CreateLogger("Lait.Store"),
        });
        durable = lait.Durability == DurabilityMode.Durable;
        logger.LogInformation("segment store at {Dir} recovered in {Ms} ms ({Bytes} bytes, durability {Durability}, codec {Codec})",
            lait.StoreDirectory, recovering.ElapsedMilliseconds, store.GetStats().SizeBytes, lait.Durability, lait.Codec);
    }
    var storeForMetrics = store;
    metrics.Gauge("lait_store_puts", "Segment states written since start").Track(() => storeForMetrics.GetStats().Puts);
    metrics.Gauge("lait_store_bytes", "Bytes of the store's log (-1 for Redis)").Track(() => storeForMetrics.GetStats().SizeBytes);

    host.Slot.Publish(new LaitService(catalog, store, lait.Codec, durable, lait.Limits, metrics, loggers.CreateLogger<LaitService>()));
    host.State.SetServing();
    logger.LogInformation("SERVING {Models} (default {Default})", string.Join(", ", entries.Select(e => e.Description.Name)), catalog.DefaultModel);
}
catch (Exception ex)
{
    // A server that cannot load its model or open its store must not pretend to serve.
    logger.LogCritical(ex, "start-up failed: {Message}", ex.Message);
    Console.Error.WriteLine($"error: start-up failed: {ex.Message}");
    host.State.SetNotServing($"start-up failed: {ex.Message}");
    await host.StopAsync();
    foreach (var e in entries) await e.DisposeAsync();
    if (store is not null) await store.DisposeAsync();
    return 1;
}

await app.WaitForShutdownAsync();
// ServingState went NOT_SERVING when stopping began (health Watch streams saw it); calls are drained now.
logger.LogInformation("shutting down: calls drained, checkpointing the segment store");
foreach (var e in entries)
{
    await e.DisposeAsync();
    (e.Model as IDisposable)?.Dispose();
}
await store.DisposeAsync();
return 0;
