using Xunit;

using Lait.Testing;

namespace Lait.Interop.Tests;

/// <summary>
/// Real third-party gRPC clients against the C# server stack (tests/Lait.Interop.EchoServer, Grpc.AspNetCore):
/// Debian's python3-grpcio and @grpc/grpc-js, one test per interop area and client.
/// </summary>
[Collection(CSharpServerCollection.Name)]
public sealed class CSharpServerInteropTests
{
    private readonly CSharpEchoServers _servers;

    public CSharpServerInteropTests(CSharpEchoServers servers)
    {
        _servers = servers;
    }

    public static TheoryData<string> Areas => new(InteropSuites.Areas);

    [Theory]
    [MemberData(nameof(Areas))]
    public async Task PythonGrpcioClient_PassesInteropArea(string area)
    {
        RequireServers();
        ChildProcess.Result result = await InteropSuites.RunPythonAsync(_servers.Environment, area);
        InteropSuites.AssertPassed($"Python ({area})", result, _servers);
    }

    [Theory]
    [MemberData(nameof(Areas))]
    public async Task NodeGrpcJsClient_PassesInteropArea(string area)
    {
        RequireServers();
        ChildProcess.Result result = await InteropSuites.RunNodeAsync(_servers.Environment, area);
        InteropSuites.AssertPassed($"Node ({area})", result, _servers);
    }

    private void RequireServers()
    {
        if (_servers.StartError is string error)
        {
            Assert.Fail($"the C# echo servers did not start: {error}");
        }
    }
}
