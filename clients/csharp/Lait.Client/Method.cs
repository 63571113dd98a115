using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Lait.Client;

public enum MethodType
{
    Unary,
    ServerStreaming,
    ClientStreaming,
    DuplexStreaming,
}

/// <summary>A callable method, built from its protobuf descriptor.</summary>
public sealed class Method<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private Method(MethodDescriptor descriptor)
    {
        Descriptor = descriptor;
        Path = "/" + descriptor.Service.FullName + "/" + descriptor.Name;
        Type = (descriptor.IsClientStreaming, descriptor.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            (true, true) => MethodType.DuplexStreaming,
        };
        ResponseParser = (MessageParser<TResponse>)descriptor.OutputType.Parser;
    }

    public MethodDescriptor Descriptor { get; }

    /// <summary>"/package.Service/Method".</summary>
    public string Path { get; }

    public MethodType Type { get; }

    public MessageParser<TResponse> ResponseParser { get; }

    /// <summary>Checks that the descriptor's input and output are TRequest and TResponse.</summary>
    public static Method<TRequest, TResponse> Create(MethodDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        if (descriptor.InputType.ClrType != typeof(TRequest) || descriptor.OutputType.ClrType != typeof(TResponse))
        {
            throw new ArgumentException(
                $"{descriptor.FullName} takes {descriptor.InputType.ClrType} and returns {descriptor.OutputType.ClrType}, " +
                $"not {typeof(TRequest)} → {typeof(TResponse)}");
        }

        return new Method<TRequest, TResponse>(descriptor);
    }

    /// <summary>Looks the method up by name in a service descriptor.</summary>
    public static Method<TRequest, TResponse> Create(ServiceDescriptor service, string methodName) =>
        Create(service.FindMethodByName(methodName)
            ?? throw new ArgumentException($"service {service.FullName} has no method '{methodName}'", nameof(methodName)));
}
