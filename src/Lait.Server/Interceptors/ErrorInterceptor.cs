using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Lait.Server.Interceptors;

/// <summary>
/// The one place where exceptions become statuses. <see cref="RpcException"/> passes unchanged; the
/// known failures of the caller's request, the engine, the store and the batcher become their
/// status (<see cref="StatusMapping"/>); a cancelled or expired call ends CANCELLED or
/// DEADLINE_EXCEEDED; anything else is a bug: logged with its stack, answered INTERNAL with a
/// message that does not leak the exception's text.
/// </summary>
public sealed class ErrorInterceptor(ILogger<ErrorInterceptor> logger) : CallInterceptor
{
    public const string InternalMessage = "internal error: the server logged the details";
    private static readonly System.Reflection.Assembly GrpcStackAssembly = typeof(Grpc.AspNetCore.Server.GrpcServiceOptions).Assembly;
    private static readonly System.Reflection.Assembly KestrelAssembly = typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly;

    private static string EmptyDetail(string method, StatusCode code) =>
        method == "/grpc.health.v1.Health/Check" && code == StatusCode.NotFound
            ? "no health status is reported for this service name (use \"\" for the server or a service it serves)"
            : $"{method} ended {code}";

    protected override async Task AroundAsync(ServerCallContext context, Func<Task> handler)
    {
        try
        {
            await handler().ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.Status.Detail.Length == 0 && ex.StatusCode != StatusCode.OK)
        {
            // The packages' services (health, reflection) answer some statuses without a message.
            throw new RpcException(new Status(ex.StatusCode, EmptyDetail(context.Method, ex.StatusCode)), ex.Trailers);
        }
        catch (RpcException ex)
        {
            // Messages that quote the caller's input are capped (ErrorText) wherever they come from.
            throw Validation.RequestError.Capped(ex);
        }
        catch (InvalidDataException ex) when (ex.TargetSite?.DeclaringType?.Assembly == GrpcStackAssembly)
        {
            // A request stream whose framing Grpc.AspNetCore rejected while the handler read it
            // (bad compressed flag, truncated message): the stack's own message says what was wrong.
            throw new RpcException(new Status(StatusCode.Internal, ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw DateTime.UtcNow >= context.Deadline
                ? new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline exceeded"))
                : new RpcException(new Status(StatusCode.Cancelled, "call cancelled by the client"));
        }
        catch (IOException ex) when (ex.TargetSite?.DeclaringType?.Assembly == KestrelAssembly || context.GetHttpContext().RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream ("The client reset the request stream.") while the handler read
            // or wrote it, before Kestrel raised the call's token: the caller cancelled, nothing failed here.
            logger.LogDebug(ex, "{Method} ended by a client reset", context.Method);
            throw new RpcException(new Status(StatusCode.Cancelled, "call cancelled by the client (stream reset)"));
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            // A streamed request message that does not parse (the stream is read inside the handler).
            throw new RpcException(new Status(StatusCode.Internal, $"failed to deserialize request message: {ex.Message}"));
        }
        catch (Exception ex) when (StatusMapping.TryMap(ex, out Status status))
        {
            throw new RpcException(new Status(status.StatusCode, Validation.ErrorText.Cap(status.Detail)));
        }
        catch (Exception ex) when (DateTime.UtcNow >= context.Deadline)
        {
            // The deadline passed and the stack completed the call while the handler still ran (its
            // next write fails): the caller already has DEADLINE_EXCEEDED; not a bug of ours.
            logger.LogDebug(ex, "{Method} ended after its deadline", context.Method);
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "deadline exceeded"));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "{Method} failed with an unexpected exception", context.Method);
            throw new RpcException(new Status(StatusCode.Internal, InternalMessage));
        }
    }
}
