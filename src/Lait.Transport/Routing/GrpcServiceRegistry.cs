using System.Collections.Concurrent;

namespace Lait.Transport;

/// <summary>
/// The services this server exposes, routed by "/package.Service/Method". Thread-safe; normally
/// filled at start-up. Reflection lists what is registered here.
/// </summary>
public sealed class GrpcServiceRegistry
{
    private readonly ConcurrentDictionary<string, ServerMethod> _routes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ServiceDefinition> _services = new(StringComparer.Ordinal);

    /// <summary>Registers a service; throws if one of the same name is registered.</summary>
    public void Add(ServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (!_services.TryAdd(service.Name, service))
        {
            throw new InvalidOperationException($"service {service.Name} is already registered");
        }

        foreach (ServerMethod method in service.Methods)
        {
            _routes[method.Path] = method;
        }
    }

    /// <summary>Registered services, ordered by name.</summary>
    public IReadOnlyList<ServiceDefinition> Services =>
        _services.Values.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    public bool Contains(string serviceName) => _services.ContainsKey(serviceName);

    internal bool TryGetMethod(string path, out ServerMethod method) => _routes.TryGetValue(path, out method!);
}
