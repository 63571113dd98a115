using System.Security.Cryptography;
using System.Text;
using Lait.Grpc.Wire;
using Lait.Transport.Health;

namespace Lait.Transport.Auth;

/// <summary>
/// Requires "authorization: Bearer &lt;key&gt;" with one of the configured keys; otherwise the call
/// ends UNAUTHENTICATED before its handler runs. grpc.health.v1.Health is exempt (load balancers
/// and orchestrators probe without credentials). Reflection is NOT exempt by default: it reveals
/// the whole API surface, so tools must send the key (add its names to
/// <see cref="ExemptServices"/> to open it).
/// </summary>
public sealed class ApiKeyInterceptor : IServerInterceptor
{
    private readonly byte[][] _keys;

    public ApiKeyInterceptor(IEnumerable<string> keys)
    {
        _keys = keys.Where(k => !string.IsNullOrEmpty(k)).Select(k => Encoding.UTF8.GetBytes(k)).ToArray();
        if (_keys.Length == 0)
        {
            throw new ArgumentException("at least one non-empty API key is required", nameof(keys));
        }
    }

    /// <summary>Services callable without a key.</summary>
    public ISet<string> ExemptServices { get; } = new HashSet<string>(StringComparer.Ordinal) { HealthService.ServiceName };

    public Task InterceptAsync(ServerCallContext context, Func<ServerCallContext, Task> next)
    {
        if (ExemptServices.Contains(context.ServiceName))
        {
            return next(context);
        }

        string? header = context.RequestHeaders.GetValue("authorization");
        const string prefix = "Bearer ";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(StatusCode.Unauthenticated, "missing API key (authorization: Bearer <key>)");
        }

        byte[] presented = Encoding.UTF8.GetBytes(header[prefix.Length..].Trim());
        bool match = false;
        foreach (byte[] key in _keys)
        {
            // Constant-time per key, and every key is checked: timing says nothing about which matched.
            match |= CryptographicOperations.FixedTimeEquals(presented, key);
        }

        if (!match)
        {
            throw new RpcException(StatusCode.Unauthenticated, "invalid API key");
        }

        return next(context);
    }
}
