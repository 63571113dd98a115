using Grpc.Health.V1;
using Lait.Client;
using Lait.Grpc.Wire;
using Lait.Test.V1;
using Xunit;
using ServingStatus = Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace Lait.Transport.Tests;

public sealed class HealthTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private HealthClient _health = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        _health = new HealthClient(_server.Channel);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Check_ReportsRegisteredStatuses()
    {
        Assert.Equal(ServingStatus.Serving, await _health.CheckAsync(""));
        Assert.Equal(ServingStatus.Serving, await _health.CheckAsync("lait.test.v1.Echo"));
    }

    [Fact]
    public async Task Check_UnknownService_IsNotFound()
    {
        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => _health.CheckAsync("no.such.Service"));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Watch_SendsCurrentStatusThenEachTransition()
    {
        using AsyncServerStreamingCall<HealthCheckResponse> watch = _health.Watch("lait.test.v1.Echo");
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch));

        await _server.Channel.UnaryAsync(TestServer.SetServing, new SetServingRequest { Service = "lait.test.v1.Echo", Serving = false });
        Assert.Equal(ServingStatus.NotServing, await NextAsync(watch));
        Assert.Equal(ServingStatus.NotServing, await _health.CheckAsync("lait.test.v1.Echo"));

        await _server.Channel.UnaryAsync(TestServer.SetServing, new SetServingRequest { Service = "lait.test.v1.Echo", Serving = true });
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch));
    }

    [Fact]
    public async Task Watch_UnknownService_SendsServiceUnknownThenTheStatusOnceSet()
    {
        using AsyncServerStreamingCall<HealthCheckResponse> watch = _health.Watch("later.Service");
        Assert.Equal(ServingStatus.ServiceUnknown, await NextAsync(watch));

        _server.Host.Health.SetStatus("later.Service", ServingStatus.Serving);
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch));
    }

    [Fact]
    public async Task Watch_ClientCancel_EndsTheWatchOnTheServer()
    {
        using var cts = new CancellationTokenSource();
        using AsyncServerStreamingCall<HealthCheckResponse> watch = _health.Watch("", new CallOptions { CancellationToken = cts.Token });
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch));
        cts.Cancel();

        RpcException ex = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        Assert.Equal(ServingStatus.Serving, await _health.CheckAsync(""));
    }

    private static async Task<ServingStatus> NextAsync(AsyncServerStreamingCall<HealthCheckResponse> watch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.True(await watch.ResponseStream.MoveNext(timeout.Token));
        return watch.ResponseStream.Current.Status;
    }
}
