using Lait.Transport.Health;
using Lait.Transport.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lait.Transport;

public static class GrpcTransportExtensions
{
    /// <summary>
    /// Adds the transport's singletons: <see cref="GrpcServerOptions"/>, <see cref="GrpcServiceRegistry"/>
    /// (with grpc.health.v1.Health and both reflection services already registered) and
    /// <see cref="HealthService"/>. Register your services on the registry after building the app.
    /// </summary>
    public static IServiceCollection AddGrpcTransport(this IServiceCollection services, Action<GrpcServerOptions>? configure = null)
    {
        var options = new GrpcServerOptions();
        configure?.Invoke(options);
        var registry = new GrpcServiceRegistry();
        var health = new HealthService();
        registry.Add(health.CreateDefinition());
        var reflection = new ReflectionService(registry);
        registry.Add(reflection.CreateV1Definition());
        registry.Add(reflection.CreateV1AlphaDefinition());
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton(health);
        return services;
    }

    /// <summary>Serves gRPC calls (see <see cref="GrpcTransportMiddleware"/>).</summary>
    public static IApplicationBuilder UseGrpcTransport(this IApplicationBuilder app) =>
        app.UseMiddleware<GrpcTransportMiddleware>();
}
