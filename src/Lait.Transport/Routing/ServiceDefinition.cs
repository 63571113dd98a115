using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Lait.Transport;

/// <summary>
/// A service ready to register: its protobuf descriptor and one route per method. Build it with
/// <see cref="CreateBuilder"/>; methods given no handler answer UNIMPLEMENTED.
/// </summary>
public sealed class ServiceDefinition
{
    internal ServiceDefinition(ServiceDescriptor descriptor, IReadOnlyList<ServerMethod> methods)
    {
        Descriptor = descriptor;
        Methods = methods;
    }

    public ServiceDescriptor Descriptor { get; }

    /// <summary>"package.Service".</summary>
    public string Name => Descriptor.FullName;

    internal IReadOnlyList<ServerMethod> Methods { get; }

    public static Builder CreateBuilder(ServiceDescriptor descriptor) => new(descriptor);

    /// <summary>Collects handlers, checking each against the descriptor (name, call type, message types).</summary>
    public sealed class Builder
    {
        private readonly ServiceDescriptor _descriptor;
        private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);
        private string _unimplementedMessage = "method not implemented";

        internal Builder(ServiceDescriptor descriptor)
        {
            _descriptor = descriptor ?? throw new ArgumentNullException(nameof(descriptor));
        }

        public Builder AddUnary<TRequest, TResponse>(string methodName, UnaryServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse> =>
            Add<TRequest, TResponse>(methodName, MethodType.Unary, handler);

        public Builder AddServerStreaming<TRequest, TResponse>(string methodName, ServerStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse> =>
            Add<TRequest, TResponse>(methodName, MethodType.ServerStreaming, handler);

        public Builder AddClientStreaming<TRequest, TResponse>(string methodName, ClientStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse> =>
            Add<TRequest, TResponse>(methodName, MethodType.ClientStreaming, handler);

        public Builder AddDuplexStreaming<TRequest, TResponse>(string methodName, DuplexStreamingServerMethod<TRequest, TResponse> handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse> =>
            Add<TRequest, TResponse>(methodName, MethodType.DuplexStreaming, handler);

        /// <summary>The status message of methods left without a handler (code UNIMPLEMENTED).</summary>
        public Builder WithUnimplementedMessage(string message)
        {
            _unimplementedMessage = message;
            return this;
        }

        public ServiceDefinition Build()
        {
            var methods = new List<ServerMethod>(_descriptor.Methods.Count);
            foreach (MethodDescriptor method in _descriptor.Methods)
            {
                methods.Add(_methods.TryGetValue(method.Name, out ServerMethod? m)
                    ? m
                    : new UnimplementedServerMethod(method, _unimplementedMessage));
            }

            return new ServiceDefinition(_descriptor, methods);
        }

        private Builder Add<TRequest, TResponse>(string methodName, MethodType type, Delegate handler)
            where TRequest : class, IMessage<TRequest>
            where TResponse : class, IMessage<TResponse>
        {
            ArgumentNullException.ThrowIfNull(handler);
            MethodDescriptor method = _descriptor.FindMethodByName(methodName)
                ?? throw new ArgumentException($"service {_descriptor.FullName} has no method '{methodName}'", nameof(methodName));
            MethodType actual = ServerMethod.GetMethodType(method);
            if (actual != type)
            {
                throw new ArgumentException($"{_descriptor.FullName}/{methodName} is {actual}, not {type}", nameof(methodName));
            }

            CheckType<TRequest>(method.InputType, "request");
            CheckType<TResponse>(method.OutputType, "response");
            if (!_methods.TryAdd(methodName, new TypedServerMethod<TRequest, TResponse>(method, handler)))
            {
                throw new ArgumentException($"{_descriptor.FullName}/{methodName} already has a handler", nameof(methodName));
            }

            return this;
        }

        private void CheckType<T>(MessageDescriptor expected, string role)
        {
            if (expected.ClrType != typeof(T))
            {
                throw new ArgumentException(
                    $"{_descriptor.FullName}: {role} type is {expected.FullName} ({expected.ClrType}), not {typeof(T)}");
            }
        }
    }
}
