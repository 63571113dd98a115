using Lait.Protos.V1;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;

namespace Lait.Client;

/// <summary>Typed calls for lait.v1.Lait over a <see cref="GrpcChannel"/>.</summary>
public sealed class LaitClient
{
    private static readonly ServiceDescriptor Service = LaitReflection.Descriptor.FindTypeByName<ServiceDescriptor>("Lait");

    public static readonly Method<EncodeSegmentRequest, EncodeSegmentResponse> EncodeSegmentMethod = Method<EncodeSegmentRequest, EncodeSegmentResponse>.Create(Service, "EncodeSegment");
    public static readonly Method<EncodeDocumentRequest, EncodeDocumentResponse> EncodeDocumentMethod = Method<EncodeDocumentRequest, EncodeDocumentResponse>.Create(Service, "EncodeDocument");
    public static readonly Method<CombineRequest, CombineResponse> CombineMethod = Method<CombineRequest, CombineResponse>.Create(Service, "Combine");
    public static readonly Method<GetSegmentsRequest, GetSegmentsResponse> GetSegmentsMethod = Method<GetSegmentsRequest, GetSegmentsResponse>.Create(Service, "GetSegments");
    public static readonly Method<DeleteSegmentsRequest, DeleteSegmentsResponse> DeleteSegmentsMethod = Method<DeleteSegmentsRequest, DeleteSegmentsResponse>.Create(Service, "DeleteSegments");
    public static readonly Method<ListSegmentsRequest, ListSegmentsResponse> ListSegmentsMethod = Method<ListSegmentsRequest, ListSegmentsResponse>.Create(Service, "ListSegments");
    public static readonly Method<ListModelsRequest, ListModelsResponse> ListModelsMethod = Method<ListModelsRequest, ListModelsResponse>.Create(Service, "ListModels");
    public static readonly Method<DescribeModelRequest, ModelInfo> DescribeModelMethod = Method<DescribeModelRequest, ModelInfo>.Create(Service, "DescribeModel");

    public LaitClient(GrpcChannel channel)
    {
        Channel = channel;
    }

    public GrpcChannel Channel { get; }

    /// <summary>Bidirectional: write segments, read acknowledgements; call CompleteAsync on the request stream when done.</summary>
    public AsyncDuplexStreamingCall<EncodeSegmentRequest, EncodeSegmentResponse> EncodeSegment(CallOptions? options = null) =>
        Channel.AsyncDuplexStreamingCall(EncodeSegmentMethod, options);

    public AsyncUnaryCall<EncodeDocumentResponse> EncodeDocumentAsync(EncodeDocumentRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(EncodeDocumentMethod, request, options);

    public AsyncUnaryCall<CombineResponse> CombineAsync(CombineRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(CombineMethod, request, options);

    public AsyncUnaryCall<GetSegmentsResponse> GetSegmentsAsync(GetSegmentsRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(GetSegmentsMethod, request, options);

    public AsyncUnaryCall<DeleteSegmentsResponse> DeleteSegmentsAsync(DeleteSegmentsRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(DeleteSegmentsMethod, request, options);

    public AsyncUnaryCall<ListSegmentsResponse> ListSegmentsAsync(ListSegmentsRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(ListSegmentsMethod, request, options);

    public AsyncUnaryCall<ListModelsResponse> ListModelsAsync(ListModelsRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(ListModelsMethod, request, options);

    public AsyncUnaryCall<ModelInfo> DescribeModelAsync(DescribeModelRequest request, CallOptions? options = null) =>
        Channel.AsyncUnaryCall(DescribeModelMethod, request, options);
}
