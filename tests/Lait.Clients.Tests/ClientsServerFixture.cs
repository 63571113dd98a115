using Lait.Testing;
using Xunit;

namespace Lait.Clients.Tests;

/// <summary>
/// One real server for the client suites, serving three tiny models: "nli" (the default;
/// entailment / neutral / contradiction), "yesno" (no / yes) and "qa" (an extractive QA head),
/// so that every convenience of the clients has a model to run against; and a second server
/// that requires an API key, for the clients' auth tests.
/// </summary>
public sealed class ClientsServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();

    public const string ApiKey = "clients-test-key";

    public ServerProcess Server { get; private set; } = null!;
    public ServerProcess KeyedServer { get; private set; } = null!;

    public string Address => $"127.0.0.1:{Server.Port}";

    public string ServerLogs => $"--- server ---\n{Server.Log}\n--- keyed server ---\n{KeyedServer.Log}";

    /// <summary>The settings every suite and example gets.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["LAIT_ADDRESS"] = Address,
        // A test that finds no model for its task fails instead of skipping.
        ["LAIT_REQUIRE_ALL_TASKS"] = "1",
        ["LAIT_AUTH_ADDRESS"] = $"127.0.0.1:{KeyedServer.Port}",
        ["LAIT_AUTH_KEY"] = ApiKey,
        ["PYTHONDONTWRITEBYTECODE"] = "1",
        ["NO_COLOR"] = "1",
    };

    public async Task InitializeAsync()
    {
        string nli = TinyModelWriter.Write(_dir.Sub("nli"), new TinyModelWriter.Options());
        string yesNo = TinyModelWriter.Write(_dir.Sub("yesno"), new TinyModelWriter.Options { Labels = ["no", "yes"] });
        string qa = TinyModelWriter.Write(_dir.Sub("qa"), new TinyModelWriter.Options { QuestionAnswering = true, Labels = [] });
        Server = await ServerProcess.StartAsync(
            "--model-dir", $"nli={nli}", "--model-dir", $"yesno={yesNo}", "--model-dir", $"qa={qa}",
            "--default-model", "nli", "--store-dir", _dir.Sub("store"));
        KeyedServer = await ServerProcess.StartAsync("--model-dir", $"nli={nli}", "--api-key", ApiKey, "--store-dir", _dir.Sub("keyed-store"));
    }

    public async Task DisposeAsync()
    {
        if (KeyedServer is not null)
        {
            await KeyedServer.DisposeAsync();
        }

        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        _dir.Dispose();
    }
}
