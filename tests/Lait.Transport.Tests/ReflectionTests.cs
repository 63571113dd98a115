using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1;
using Lait.Client;
using Xunit;
using V1Alpha = Grpc.Reflection.V1Alpha;

namespace Lait.Transport.Tests;

public sealed class ReflectionTests : IAsyncLifetime
{
    public static readonly Method<ServerReflectionRequest, ServerReflectionResponse> V1Method =
        Method<ServerReflectionRequest, ServerReflectionResponse>.Create(
            ReflectionReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("ServerReflection"), "ServerReflectionInfo");

    public static readonly Method<V1Alpha.ServerReflectionRequest, V1Alpha.ServerReflectionResponse> V1AlphaMethod =
        Method<V1Alpha.ServerReflectionRequest, V1Alpha.ServerReflectionResponse>.Create(
            V1Alpha.ReflectionReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.ServiceDescriptor>("ServerReflection"), "ServerReflectionInfo");

    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task ListServices_NamesEveryRegisteredService()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { ListServices = "*" });

        Assert.Equal(
            new[] { "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "lait.test.v1.Echo" },
            response.ListServicesResponse.Service.Select(s => s.Name).OrderBy(n => n, StringComparer.Ordinal));
    }

    [Fact]
    public async Task FileContainingSymbol_ServiceMethodAndMessage_ReturnEchoProto()
    {
        foreach (string symbol in new[] { "lait.test.v1.Echo", "lait.test.v1.Echo.Unary", "lait.test.v1.EchoRequest", "lait.test.v1.EchoResponse.MetadataEntry" })
        {
            ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileContainingSymbol = symbol });

            Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, response.MessageResponseCase);
            FileDescriptorProto file = FileDescriptorProto.Parser.ParseFrom(response.FileDescriptorResponse.FileDescriptorProto[0]);
            Assert.Equal("lait/test/v1/echo.proto", file.Name);
            Assert.Contains(file.Service, s => s.Name == "Echo" && s.Method.Any(m => m.Name == "Bidi" && m.ClientStreaming && m.ServerStreaming));
        }
    }

    [Fact]
    public async Task FileByFilename_ReturnsTheFileAndItsTransitiveDependencies()
    {
        ServerReflectionResponse response = await AskAsync(new ServerReflectionRequest { FileByFilename = "grpc/health/v1/health.proto" });

        List<FileDescriptorProto> files = response.FileDescriptorResponse.FileDescriptorProto
            .Select(b => FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        Assert.Equal("grpc/health/v1/health.proto", files[0].Name);
        // Every dependency named by a returned file is itself returned.
        var names = files.Select(f => f.Name).ToHashSet();
        Assert.All(files, f => Assert.All(f.Dependency, d => Assert.Contains(d, names)));
    }

    [Fact]
    public async Task UnknownSymbolAndFile_AreNotFoundErrorsOnAStreamThatGoesOn()
    {
        Method<ServerReflectionRequest, ServerReflectionResponse> method = V1Method;
        using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = _server.Channel.AsyncDuplexStreamingCall(method);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileContainingSymbol = "no.Such" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(5, call.ResponseStream.Current.ErrorResponse.ErrorCode);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { FileByFilename = "no/such.proto" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(5, call.ResponseStream.Current.ErrorResponse.ErrorCode);

        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.NotEmpty(call.ResponseStream.Current.ListServicesResponse.Service);
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext());
    }

    [Fact]
    public async Task V1Alpha_ListsServicesAndServesFiles()
    {
        using var call = _server.Channel.AsyncDuplexStreamingCall(V1AlphaMethod);
        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { ListServices = "*" });
        await call.RequestStream.WriteAsync(new V1Alpha.ServerReflectionRequest { FileContainingSymbol = "lait.test.v1.Echo" });
        await call.RequestStream.CompleteAsync();

        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == "lait.test.v1.Echo");
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal("lait/test/v1/echo.proto",
            FileDescriptorProto.Parser.ParseFrom(call.ResponseStream.Current.FileDescriptorResponse.FileDescriptorProto[0]).Name);
    }

    private async Task<ServerReflectionResponse> AskAsync(ServerReflectionRequest request)
    {
        using AsyncDuplexStreamingCall<ServerReflectionRequest, ServerReflectionResponse> call = _server.Channel.AsyncDuplexStreamingCall(V1Method);
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext());
        return call.ResponseStream.Current;
    }
}
