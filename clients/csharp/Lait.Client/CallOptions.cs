using Lait.Grpc.Wire;

namespace Lait.Client;

/// <summary>Per-call settings.</summary>
public sealed record CallOptions
{
    /// <summary>Custom request metadata (added after the channel's default headers).</summary>
    public Metadata? Headers { get; init; }

    /// <summary>UTC deadline, sent as grpc-timeout and enforced locally (DEADLINE_EXCEEDED).</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>Cancels the call (the server's handler token fires; the call ends CANCELLED).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Compress request messages with this encoding (e.g. "gzip"); null = the channel default.</summary>
    public string? WriteCompression { get; init; }

    public static CallOptions Default { get; } = new();

    /// <summary>Options with a deadline <paramref name="timeout"/> from now.</summary>
    public static CallOptions WithTimeout(TimeSpan timeout, Metadata? headers = null, CancellationToken cancellationToken = default) =>
        new() { Deadline = DateTime.UtcNow + timeout, Headers = headers, CancellationToken = cancellationToken };
}
