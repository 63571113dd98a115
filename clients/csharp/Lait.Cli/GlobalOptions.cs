using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Lait.Client;

namespace Lait.Cli;

/// <summary>Options every subcommand accepts (before or after its name).</summary>
public sealed class GlobalOptions
{
    public const string DefaultAddress = "http://127.0.0.1:50051";

    public Option<string> Address { get; } = new("--address")
    {
        Description = $"Server address (env LAIT_ADDRESS; default {DefaultAddress})",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LAIT_ADDRESS") is { Length: > 0 } a ? a : DefaultAddress,
        Recursive = true,
    };

    public Option<string?> ApiKey { get; } = new("--api-key")
    {
        // No DefaultValueFactory: help prints defaults, and a key from the environment must not show up there.
        Description = "API key sent as 'authorization: Bearer <key>' (env LAIT_API_KEY)",
        Recursive = true,
    };

    public Option<double> Timeout { get; } = new("--timeout")
    {
        Description = "Deadline of each call, in seconds",
        DefaultValueFactory = _ => 30,
        Recursive = true,
    };

    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Machine-readable JSON on stdout",
        Recursive = true,
    };

    public Option<string> Model { get; } = new("--model")
    {
        Description = "Model name (default: the server's default model)",
        DefaultValueFactory = _ => "",
        Recursive = true,
    };

    public void AddTo(Command root)
    {
        root.Add(Address);
        root.Add(ApiKey);
        root.Add(Timeout);
        root.Add(Json);
        root.Add(Model);
    }

    /// <summary>The connection and per-call settings of one invocation.</summary>
    public Session Open(ParseResult parse)
    {
        string address = parse.GetValue(Address) ?? DefaultAddress;
        if (!Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new UsageException($"--address must be an http:// or https:// URL, got '{address}'");
        }
        double timeout = parse.GetValue(Timeout);
        if (!(timeout > 0) || double.IsInfinity(timeout)) throw new UsageException($"--timeout must be a positive number of seconds, got {timeout}");
        string? apiKey = parse.GetValue(ApiKey) ?? (Environment.GetEnvironmentVariable("LAIT_API_KEY") is { Length: > 0 } k ? k : null);
        var options = new LaitChannelOptions { ApiKey = apiKey };
        var channel = LaitChannel.ForAddress(uri, options);
        return new Session(channel, TimeSpan.FromSeconds(timeout), parse.GetValue(Json), parse.GetValue(Model) ?? "");
    }
}

public sealed class Session(GrpcChannel channel, TimeSpan timeout, bool json, string model) : IDisposable
{
    public GrpcChannel Channel { get; } = channel;
    public LaitClient Client { get; } = new(channel);
    public TimeSpan Timeout { get; } = timeout;
    public bool Json { get; } = json;
    public string Model { get; } = model;

    public CallOptions Call(CancellationToken cancellationToken) => LaitChannel.WithTimeout(Timeout, cancellationToken: cancellationToken);

    public void Dispose() => Channel.Dispose();
}

/// <summary>A mistake in the command line that the parser cannot see (exit 2).</summary>
public sealed class UsageException(string message) : Exception(message);
