using Lait.Testing;

namespace Lait.Server.Tests.Service;

/// <summary>One server for a test class: a tiny 2-layer NLI model at P=1, fp32 states, its own store.</summary>
public sealed class TinyServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public ServerProcess Server { get; private set; } = null!;
    public string ModelDir => _dir.Sub("tiny-nli");
    public string StoreDir => _dir.Sub("store");

    public async Task InitializeAsync()
    {
        TinyModelWriter.Write(ModelDir, new TinyModelWriter.Options());
        Server = await ServerProcess.StartAsync("--model-dir", ModelDir, "--store-dir", StoreDir, "--codec", "fp32", "--metrics-port", "0",
            "--max-evidence-per-claim", "8");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}
