using Xunit;

using Lait.Testing;

namespace Lait.Interop.Tests;

/// <summary>
/// Both suites against the grpcio reference server (tests/interop/python/reference_echo_server.py):
/// shows the suites are right about gRPC itself, so a failure against the C# server is the C#
/// server's. One test per suite (all areas) to keep the run short.
/// </summary>
public sealed class ReferenceServerInteropTests : IClassFixture<ReferenceEchoServers>
{
    private readonly ReferenceEchoServers _servers;

    public ReferenceServerInteropTests(ReferenceEchoServers servers)
    {
        _servers = servers;
    }

    [Fact]
    public async Task PythonSuite_PassesEveryArea_AgainstGrpcioReferenceServer()
    {
        RequireServers();
        ChildProcess.Result result = await InteropSuites.RunPythonAsync(_servers.Environment, InteropSuites.Areas);
        InteropSuites.AssertPassed("Python (all areas, reference server)", result, _servers);
    }

    [Fact]
    public async Task NodeSuite_PassesEveryArea_AgainstGrpcioReferenceServer()
    {
        RequireServers();
        ChildProcess.Result result = await InteropSuites.RunNodeAsync(_servers.Environment, InteropSuites.Areas);
        InteropSuites.AssertPassed("Node (all areas, reference server)", result, _servers);
    }

    private void RequireServers()
    {
        if (_servers.StartError is string error)
        {
            Assert.Fail($"the reference echo servers did not start: {error}");
        }
    }
}
