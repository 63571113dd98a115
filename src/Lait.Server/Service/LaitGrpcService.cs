using Grpc.Core;
using Lait.Protos.V1;
using Lait.Server.Health;

namespace Lait.Server.Service;

/// <summary>
/// lait.v1.Lait on the base class Grpc.Tools generates from protos/lait/v1/lait.proto. It is mapped
/// before the models load (so health and reflection answer at once) and forwards each call to the
/// <see cref="LaitService"/> published once loading is done; until then, and after a failed start,
/// calls end UNAVAILABLE with the reason.
/// </summary>
public sealed class LaitGrpcService(LaitServiceSlot slot) : Protos.V1.Lait.LaitBase
{
    public override Task EncodeSegment(IAsyncStreamReader<EncodeSegmentRequest> requestStream, IServerStreamWriter<EncodeSegmentResponse> responseStream, ServerCallContext context) =>
        slot.Get().EncodeSegment(requestStream, responseStream, context);

    public override Task<EncodeDocumentResponse> EncodeDocument(EncodeDocumentRequest request, ServerCallContext context) =>
        slot.Get().EncodeDocument(request, context);

    public override Task<CombineResponse> Combine(CombineRequest request, ServerCallContext context) =>
        slot.Get().Combine(request, context);

    public override Task<GetSegmentsResponse> GetSegments(GetSegmentsRequest request, ServerCallContext context) =>
        slot.Get().GetSegments(request, context);

    public override Task<DeleteSegmentsResponse> DeleteSegments(DeleteSegmentsRequest request, ServerCallContext context) =>
        slot.Get().DeleteSegments(request, context);

    public override Task<ListSegmentsResponse> ListSegments(ListSegmentsRequest request, ServerCallContext context) =>
        slot.Get().ListSegments(request, context);

    public override Task<ListModelsResponse> ListModels(ListModelsRequest request, ServerCallContext context) =>
        slot.Get().ListModels(request, context);

    public override Task<ModelInfo> DescribeModel(DescribeModelRequest request, ServerCallContext context) =>
        slot.Get().DescribeModel(request, context);
}

/// <summary>Where the loaded <see cref="LaitService"/> is published for <see cref="LaitGrpcService"/>.</summary>
public sealed class LaitServiceSlot(ServingState state)
{
    private LaitService? _service;

    public void Publish(LaitService service) => Volatile.Write(ref _service, service);

    public LaitService Get() => Volatile.Read(ref _service)
        ?? throw new RpcException(new Status(StatusCode.Unavailable, $"{state.Reason}; retry shortly"));
}
