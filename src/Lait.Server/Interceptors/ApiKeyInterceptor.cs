using System.Security.Cryptography;
using System.Text;
using Grpc.Core;

namespace Lait.Server.Interceptors;

/// <summary>
/// Requires "authorization: Bearer &lt;key&gt;" with one of the configured keys; otherwise the call
/// ends UNAUTHENTICATED before its handler runs. grpc.health.v1.Health is exempt (load balancers
/// and orchestrators probe without credentials). Reflection is not: it reveals the whole API
/// surface, so tools must send the key. JSON calls (HTTP/1.1 transcoding) pass through here too.
/// </summary>
public sealed class ApiKeyInterceptor : CallInterceptor
{
    public const string HealthServicePrefix = "/grpc.health.v1.Health/";
    private readonly ApiKeys _keys;

    public ApiKeyInterceptor(ApiKeys keys)
    {
        _keys = keys;
    }

    protected override Task AroundAsync(ServerCallContext context, Func<Task> handler)
    {
        if (_keys.Count == 0 || context.Method.StartsWith(HealthServicePrefix, StringComparison.Ordinal))
        {
            return handler();
        }

        string? problem = _keys.Check(context.RequestHeaders.GetValue("authorization"));
        if (problem is not null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, problem));
        }

        return handler();
    }
}

/// <summary>The configured API keys, compared in constant time.</summary>
public sealed class ApiKeys
{
    private const string Prefix = "Bearer ";
    private readonly byte[][] _keys;

    public ApiKeys(IEnumerable<string> keys)
    {
        var list = new List<byte[]>();
        foreach (string key in keys)
        {
            if (!string.IsNullOrEmpty(key)) list.Add(Encoding.UTF8.GetBytes(key));
        }
        _keys = list.ToArray();
    }

    public int Count => _keys.Length;

    /// <summary>Null when <paramref name="authorization"/> carries a configured key; otherwise what is wrong.</summary>
    public string? Check(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return "missing API key (authorization: Bearer <key>)";
        }

        byte[] presented = Encoding.UTF8.GetBytes(authorization[Prefix.Length..].Trim());
        bool match = false;
        foreach (byte[] key in _keys)
        {
            // Constant-time per key, and every key is checked: timing says nothing about which matched.
            match |= CryptographicOperations.FixedTimeEquals(presented, key);
        }

        return match ? null : "invalid API key";
    }
}
