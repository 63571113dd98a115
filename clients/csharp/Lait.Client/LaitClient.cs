using Grpc.Core;

namespace Lait.Client;

/// <summary>
/// The lait.v1.Lait client Grpc.Tools generates from protos/lait/v1/lait.proto
/// (<c>Lait.Protos.V1.Lait.LaitClient</c>), under a name that does not collide with the
/// <c>Lait</c> namespace. Every generated call is here unchanged (<c>CombineAsync</c>,
/// <c>EncodeSegment</c>, ...); the conveniences in <see cref="Conveniences.LaitClientConveniences"/>
/// build on them.
/// </summary>
public sealed class LaitClient : global::Lait.Protos.V1.Lait.LaitClient
{
    /// <summary>A client on <paramref name="channel"/> (see <see cref="LaitChannel.ForAddress(string, LaitChannelOptions?)"/>).</summary>
    public LaitClient(ChannelBase channel)
        : base(channel)
    {
    }

    /// <summary>A client on a call invoker (e.g. a channel with interceptors: <c>channel.Intercept(...)</c>).</summary>
    public LaitClient(CallInvoker callInvoker)
        : base(callInvoker)
    {
    }
}
