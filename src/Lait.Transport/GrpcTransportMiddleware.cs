using Lait.Grpc.Wire;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Lait.Transport;

/// <summary>
/// Serves gRPC: every POST with a gRPC content type is routed by its path to a registered method.
/// A POST with another content type gets HTTP 415; other requests go to the next middleware.
/// </summary>
public sealed class GrpcTransportMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GrpcServiceRegistry _registry;
    private readonly GrpcServerOptions _options;
    private readonly CompressionProviders _providers;
    private readonly ILogger<GrpcTransportMiddleware> _logger;

    public GrpcTransportMiddleware(RequestDelegate next, GrpcServiceRegistry registry, GrpcServerOptions options, ILogger<GrpcTransportMiddleware> logger)
    {
        _next = next;
        _registry = registry;
        _options = options;
        _providers = new CompressionProviders(options.CompressionProviders);
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext httpContext)
    {
        HttpRequest request = httpContext.Request;
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            if (HttpMethods.IsPost(request.Method))
            {
                httpContext.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                httpContext.Response.Headers[GrpcProtocol.StatusHeader] = ((int)StatusCode.Internal).ToString(System.Globalization.CultureInfo.InvariantCulture);
                httpContext.Response.Headers[GrpcProtocol.MessageHeader] = GrpcMessageEncoding.Encode(
                    $"content-type '{request.ContentType}' is not application/grpc");
                return Task.CompletedTask;
            }

            return _next(httpContext);
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            httpContext.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return Task.CompletedTask;
        }

        return HandleCallAsync(httpContext);
    }

    private async Task HandleCallAsync(HttpContext httpContext)
    {
        HttpRequest request = httpContext.Request;
        using var call = new GrpcCall(httpContext, _options, _providers, _logger);
        string path = request.Path.Value ?? string.Empty;
        if (!_registry.TryGetMethod(path, out ServerMethod method))
        {
            await call.CompleteAsync(new Status(StatusCode.Unimplemented, DescribeUnknownPath(path)), null).ConfigureAwait(false);
            return;
        }

        // Streams may be long and large: the per-request body limits of Kestrel do not apply to gRPC;
        // our own message size limit does.
        IHttpMaxRequestBodySizeFeature? maxBody = httpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (maxBody is { IsReadOnly: false })
        {
            maxBody.MaxRequestBodySize = null;
        }

        IHttpMinRequestBodyDataRateFeature? minRate = httpContext.Features.Get<IHttpMinRequestBodyDataRateFeature>();
        if (minRate is not null)
        {
            minRate.MinDataRate = null;
        }

        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (!string.IsNullOrEmpty(encoding) && encoding != GrpcProtocol.IdentityEncoding)
        {
            if (!_providers.TryGet(encoding, out ICompressionProvider provider))
            {
                await call.CompleteAsync(new Status(StatusCode.Unimplemented,
                    $"unsupported grpc-encoding '{encoding}' (supported: {_providers.AcceptEncoding})"), null).ConfigureAwait(false);
                return;
            }

            call.SetRequestCompression(provider);
        }

        DateTime deadline = DateTime.MaxValue;
        TimeSpan timeout = Timeout.InfiniteTimeSpan;
        string? timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        if (!string.IsNullOrEmpty(timeoutHeader))
        {
            if (!GrpcTimeout.TryParse(timeoutHeader, out timeout))
            {
                await call.CompleteAsync(new Status(StatusCode.Internal, $"malformed grpc-timeout '{timeoutHeader}'"), null).ConfigureAwait(false);
                return;
            }

            // Beyond what a timer can hold (~24 days) a deadline is as good as none.
            if (timeout < TimeSpan.FromDays(24))
            {
                deadline = DateTime.UtcNow + timeout;
            }
            else
            {
                timeout = Timeout.InfiniteTimeSpan;
            }
        }

        Metadata headers;
        try
        {
            headers = ReadRequestMetadata(request);
        }
        catch (FormatException)
        {
            await call.CompleteAsync(new Status(StatusCode.Internal, "invalid base64 in binary request metadata"), null).ConfigureAwait(false);
            return;
        }

        var context = new ServerCallContext(call, method, headers, deadline);
        call.Context = context;
        Task? deadlineCompletion = null;
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            call.StartDeadline(timeout, () =>
                deadlineCompletion = call.CompleteAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null));
        }

        (Status status, Metadata? trailers) = await RunAsync(call, method, context).ConfigureAwait(false);
        await call.CompleteAsync(status, trailers).ConfigureAwait(false);
        if (deadlineCompletion is not null)
        {
            await deadlineCompletion.ConfigureAwait(false);
        }
    }

    private async Task<(Status Status, Metadata? Trailers)> RunAsync(GrpcCall call, ServerMethod method, ServerCallContext context)
    {
        try
        {
            Func<ServerCallContext, Task> pipeline = ctx => method.InvokeAsync(call, ctx);
            IList<IServerInterceptor> interceptors = _options.Interceptors;
            for (int i = interceptors.Count - 1; i >= 0; i--)
            {
                IServerInterceptor interceptor = interceptors[i];
                Func<ServerCallContext, Task> next = pipeline;
                pipeline = ctx => interceptor.InterceptAsync(ctx, next);
            }

            await pipeline(context).ConfigureAwait(false);
            return (Status.DefaultSuccess, null);
        }
        catch (RpcException ex)
        {
            if (ex.StatusCode is StatusCode.Internal or StatusCode.Unknown or StatusCode.ResourceExhausted)
            {
                _logger.LogInformation(ex, "{Path} ended {Code}: {Detail}", method.Path, ex.StatusCode, ex.Status.Detail);
            }

            return (ex.Status, ex.Trailers);
        }
        catch (Exception) when (call.DeadlineExceeded)
        {
            return (new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
        }
        catch (Exception) when (call.ClientAborted)
        {
            return (new Status(StatusCode.Cancelled, "Cancelled"), null);
        }
        catch (Exception ex)
        {
            // The details stay in the server log: exception text can hold paths, data or secrets.
            _logger.LogError(ex, "handler of {Path} threw", method.Path);
            return (new Status(StatusCode.Internal, "Exception was thrown by handler."), null);
        }
    }

    private string DescribeUnknownPath(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash <= 0)
        {
            return $"malformed method path '{path}'";
        }

        string service = path[1..slash];
        return _registry.Contains(service)
            ? $"unknown method '{path[(slash + 1)..]}' for service {service}"
            : $"unknown service {service}";
    }

    private static Metadata ReadRequestMetadata(HttpRequest request)
    {
        var metadata = new Metadata();
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            if (GrpcProtocol.IsReservedHeader(header.Key))
            {
                continue;
            }

            foreach (string? value in header.Value)
            {
                if (value is not null)
                {
                    metadata.Add(Metadata.FromWire(header.Key, value));
                }
            }
        }

        return metadata;
    }
}
