using Grpc.HealthCheck;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Server.Health;

/// <summary>
/// Whether lait.v1.Lait can serve: false while models load and the store recovers, true once both
/// are done, false again from the moment the server starts draining. grpc.health.v1 (from
/// Grpc.AspNetCore.HealthChecks) reports it for "" and every mapped service through
/// <see cref="ServingHealthCheck"/>; each transition is also pushed to the health service at once,
/// so Watch streams see it without waiting for the health-check publisher's next period.
/// </summary>
public sealed class ServingState
{
    public const string LaitService = "lait.v1.Lait";
    public const string Tag = "lait";

    /// <summary>Service names reported by grpc.health.v1 ("" = the whole server).</summary>
    public static readonly string[] ReportedServices = ["", LaitService];

    private readonly HealthServiceImpl? _health;
    private volatile bool _serving;
    private volatile string _reason = "the server is starting (loading models, recovering the segment store)";

    public ServingState(HealthServiceImpl? health)
    {
        _health = health;
        Push();
    }

    public bool IsServing => _serving;

    /// <summary>Why the server is not serving (for UNAVAILABLE messages and health descriptions).</summary>
    public string Reason => _reason;

    public void SetServing()
    {
        _reason = "";
        _serving = true;
        Push();
    }

    public void SetNotServing(string reason)
    {
        _reason = reason;
        _serving = false;
        Push();
    }

    private void Push()
    {
        if (_health is null) return;
        var status = _serving ? ServingStatus.Serving : ServingStatus.NotServing;
        foreach (string service in ReportedServices) _health.SetStatus(service, status);
    }
}

/// <summary>The ASP.NET Core health check behind grpc.health.v1: healthy exactly when <see cref="ServingState.IsServing"/>.</summary>
public sealed class ServingHealthCheck(ServingState state) : IHealthCheck
{
    public const string Name = "lait-serving";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state.IsServing ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(state.Reason));
}
