using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1;
using Lait.Grpc.Wire;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Lait.Transport.Reflection;

/// <summary>
/// Server reflection (grpc.reflection.v1 and v1alpha) over the services in a
/// <see cref="GrpcServiceRegistry"/>: lists them and serves their descriptor files, each with its
/// transitive dependencies. Errors (unknown file or symbol) are ErrorResponse messages on the
/// stream, as the protocol asks; the call itself continues.
/// </summary>
public sealed class ReflectionService
{
    private readonly GrpcServiceRegistry _registry;

    public ReflectionService(GrpcServiceRegistry registry)
    {
        _registry = registry;
    }

    public ServiceDefinition CreateV1Definition() =>
        ServiceDefinition.CreateBuilder(ReflectionReflection.Descriptor.FindTypeByName<ServiceDescriptor>("ServerReflection"))
            .AddDuplexStreaming<ServerReflectionRequest, ServerReflectionResponse>("ServerReflectionInfo", async (requests, responses, context) =>
            {
                while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
                {
                    await responses.WriteAsync(Answer(requests.Current), context.CancellationToken).ConfigureAwait(false);
                }
            })
            .Build();

    /// <summary>v1alpha has the same messages field for field: requests and answers convert through their bytes.</summary>
    public ServiceDefinition CreateV1AlphaDefinition() =>
        ServiceDefinition.CreateBuilder(V1Alpha.ReflectionReflection.Descriptor.FindTypeByName<ServiceDescriptor>("ServerReflection"))
            .AddDuplexStreaming<V1Alpha.ServerReflectionRequest, V1Alpha.ServerReflectionResponse>("ServerReflectionInfo", async (requests, responses, context) =>
            {
                while (await requests.MoveNext(context.CancellationToken).ConfigureAwait(false))
                {
                    ServerReflectionRequest request = ServerReflectionRequest.Parser.ParseFrom(requests.Current.ToByteString());
                    ServerReflectionResponse answer = Answer(request);
                    await responses.WriteAsync(V1Alpha.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()), context.CancellationToken).ConfigureAwait(false);
                }
            })
            .Build();

    /// <summary>The answer to one reflection request.</summary>
    public ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
            {
                var list = new ListServiceResponse();
                foreach (ServiceDefinition service in _registry.Services)
                {
                    list.Service.Add(new ServiceResponse { Name = service.Name });
                }

                response.ListServicesResponse = list;
                break;
            }

            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
            {
                FileDescriptor? file = FindFile(request.FileByFilename);
                if (file is null)
                {
                    response.ErrorResponse = Error(StatusCode.NotFound, $"file not found: {request.FileByFilename}");
                }
                else
                {
                    response.FileDescriptorResponse = WithDependencies(file);
                }

                break;
            }

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
            {
                FileDescriptor? file = FindFileContainingSymbol(request.FileContainingSymbol);
                if (file is null)
                {
                    response.ErrorResponse = Error(StatusCode.NotFound, $"symbol not found: {request.FileContainingSymbol}");
                }
                else
                {
                    response.FileDescriptorResponse = WithDependencies(file);
                }

                break;
            }

            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
            {
                // None of our files declares proto2 extensions: a known type has none, an unknown one is NOT_FOUND.
                string typeName = request.AllExtensionNumbersOfType;
                if (FindMessage(typeName) is null)
                {
                    response.ErrorResponse = Error(StatusCode.NotFound, $"type not found: {typeName}");
                }
                else
                {
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = typeName };
                }

                break;
            }

            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                response.ErrorResponse = Error(StatusCode.NotFound,
                    $"extension not found: {request.FileContainingExtension.ContainingType}({request.FileContainingExtension.ExtensionNumber})");
                break;

            default:
                response.ErrorResponse = Error(StatusCode.InvalidArgument, "empty reflection request");
                break;
        }

        return response;
    }

    private static ErrorResponse Error(StatusCode code, string message) =>
        new() { ErrorCode = (int)code, ErrorMessage = message };

    /// <summary>The file followed by every file it depends on, directly or not, each once.</summary>
    private static FileDescriptorResponse WithDependencies(FileDescriptor file)
    {
        var response = new FileDescriptorResponse();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<FileDescriptor>();
        pending.Enqueue(file);
        seen.Add(file.Name);
        while (pending.Count > 0)
        {
            FileDescriptor next = pending.Dequeue();
            response.FileDescriptorProto.Add(next.SerializedData);
            foreach (FileDescriptor dependency in next.Dependencies)
            {
                if (seen.Add(dependency.Name))
                {
                    pending.Enqueue(dependency);
                }
            }
        }

        return response;
    }

    /// <summary>Every file reachable from the registered services.</summary>
    private IEnumerable<FileDescriptor> AllFiles()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<FileDescriptor>();
        foreach (ServiceDefinition service in _registry.Services)
        {
            pending.Push(service.Descriptor.File);
        }

        while (pending.Count > 0)
        {
            FileDescriptor file = pending.Pop();
            if (!seen.Add(file.Name))
            {
                continue;
            }

            yield return file;
            foreach (FileDescriptor dependency in file.Dependencies)
            {
                pending.Push(dependency);
            }
        }
    }

    private FileDescriptor? FindFile(string name)
    {
        foreach (FileDescriptor file in AllFiles())
        {
            if (file.Name == name)
            {
                return file;
            }
        }

        return null;
    }

    private MessageDescriptor? FindMessage(string fullName)
    {
        foreach (FileDescriptor file in AllFiles())
        {
            foreach (MessageDescriptor message in file.MessageTypes)
            {
                MessageDescriptor? found = FindMessageIn(message, fullName);
                if (found is not null)
                {
                    return found;
                }
            }
        }

        return null;
    }

    private static MessageDescriptor? FindMessageIn(MessageDescriptor message, string fullName)
    {
        if (message.FullName == fullName)
        {
            return message;
        }

        foreach (MessageDescriptor nested in message.NestedTypes)
        {
            MessageDescriptor? found = FindMessageIn(nested, fullName);
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The file declaring a service, method, message (nested too), field or enum of this full name.</summary>
    private FileDescriptor? FindFileContainingSymbol(string symbol)
    {
        foreach (FileDescriptor file in AllFiles())
        {
            if (!string.IsNullOrEmpty(file.Package) && !symbol.StartsWith(file.Package + ".", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (ServiceDescriptor service in file.Services)
            {
                if (service.FullName == symbol)
                {
                    return file;
                }

                foreach (MethodDescriptor method in service.Methods)
                {
                    if (method.FullName == symbol)
                    {
                        return file;
                    }
                }
            }

            foreach (EnumDescriptor e in file.EnumTypes)
            {
                if (e.FullName == symbol)
                {
                    return file;
                }
            }

            foreach (MessageDescriptor message in file.MessageTypes)
            {
                if (MessageDeclares(message, symbol))
                {
                    return file;
                }
            }
        }

        return null;
    }

    private static bool MessageDeclares(MessageDescriptor message, string symbol)
    {
        if (message.FullName == symbol)
        {
            return true;
        }

        foreach (FieldDescriptor field in message.Fields.InDeclarationOrder())
        {
            if (field.FullName == symbol)
            {
                return true;
            }
        }

        foreach (EnumDescriptor e in message.EnumTypes)
        {
            if (e.FullName == symbol)
            {
                return true;
            }
        }

        foreach (MessageDescriptor nested in message.NestedTypes)
        {
            if (MessageDeclares(nested, symbol))
            {
                return true;
            }
        }

        return false;
    }
}
