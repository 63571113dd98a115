using Lait.Testing;

namespace Lait.Cli.Tests;

/// <summary>
/// One real server for a test class with two tiny models: "nli" (entailment/neutral/contradiction,
/// the default) and "yesno" (no/yes, for yes/no questions). Documents are limited to 20 sentences.
/// </summary>
public sealed class TwoModelServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public ServerProcess Server { get; private set; } = null!;

    public string Address => $"http://127.0.0.1:{Server.Port}";

    public TempDirectory Dir => _dir;

    public async Task InitializeAsync()
    {
        string nli = TinyModelWriter.Write(_dir.Sub("nli"), new TinyModelWriter.Options());
        string yesNo = TinyModelWriter.Write(_dir.Sub("yesno"), new TinyModelWriter.Options { Labels = ["no", "yes"] });
        Server = await ServerProcess.StartAsync("--model-dir", $"nli={nli}", "--model-dir", $"yesno={yesNo}", "--default-model", "nli",
            "--store-dir", _dir.Sub("store"), "--durability", "checkpoint", "--metrics-port", "0",
            "--max-document-sentences", "20");
    }

    /// <summary>The metrics endpoint: the listening address in the server's log that is not the gRPC port.</summary>
    public string MetricsUrl
    {
        get
        {
            const string marker = "Now listening on: ";
            foreach (string line in Server.Log.Split('\n'))
            {
                int at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0) continue;
                string url = line[(at + marker.Length)..].Trim();
                if (!url.EndsWith($":{Server.Port}", StringComparison.Ordinal)) return url + "/metrics";
            }
            throw new InvalidOperationException($"no metrics listener in the server log:\n{Server.Log}");
        }
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>A server that requires an API key.</summary>
public sealed class ApiKeyServerFixture : IAsyncLifetime
{
    public const string Key = "test-key-123";

    private readonly TempDirectory _dir = new();

    public ServerProcess Server { get; private set; } = null!;

    public string Address => $"http://127.0.0.1:{Server.Port}";

    public async Task InitializeAsync()
    {
        string nli = TinyModelWriter.Write(_dir.Sub("nli"), new TinyModelWriter.Options());
        Server = await ServerProcess.StartAsync("--model-dir", nli, "--store-dir", _dir.Sub("store"), "--api-key", Key);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>The CLI, convenience and example tests share one server (each server process costs seconds of CPU).</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<TwoModelServerFixture>
{
    public const string Name = "two-model server";
}
