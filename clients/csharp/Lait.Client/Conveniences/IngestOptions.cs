using Grpc.Core;
using Lait.Protos.V1;

namespace Lait.Client.Conveniences;

/// <summary>Settings for <see cref="LaitClientConveniences.IngestAsync(LaitClient, IAsyncEnumerable{string}, IngestOptions?)"/>.</summary>
public sealed record IngestOptions
{
    /// <summary>Model name; "" for the server's default.</summary>
    public string Model { get; init; } = "";

    /// <summary>Role of every segment; evidence and passages are <see cref="Role.Other"/>.</summary>
    public Role Role { get; init; } = Role.Other;

    public Durability Durability { get; init; } = Durability.Unspecified;

    public Truncation Truncation { get; init; } = Truncation.Unspecified;

    /// <summary>
    /// Most segments sent but not yet acknowledged. Bounds client memory and keeps the server's
    /// queue short; the server also slows a fast writer down through HTTP/2 flow control.
    /// </summary>
    public int MaxInFlight { get; init; } = 64;

    /// <summary>Optional name for segment i (0-based) with text t; null = unnamed.</summary>
    public Func<long, string, SegmentName?>? NameSelector { get; init; }

    /// <summary>Deadline, headers and cancellation for the whole stream.</summary>
    public CallOptions? CallOptions { get; init; }
}

/// <summary>Settings shared by the Combine conveniences.</summary>
public sealed record CombineOptions
{
    /// <summary>Model name; "" for the server's default.</summary>
    public string Model { get; init; } = "";

    /// <summary>Verify only: how per-evidence results become a verdict.</summary>
    public Aggregation Aggregation { get; init; } = Aggregation.Unspecified;

    /// <summary>Verify only: return the best <c>TopK</c> evidence results (0 = all).</summary>
    public int TopK { get; init; }

    public Truncation Truncation { get; init; } = Truncation.Unspecified;

    public CallOptions? CallOptions { get; init; }
}
