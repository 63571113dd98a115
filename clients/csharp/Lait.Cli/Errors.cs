using System.Net.Sockets;
using System.Text;
using Grpc.Core;

namespace Lait.Cli;

/// <summary>Turns a failure into one line on stderr and an exit code; never a stack trace.</summary>
public static class Errors
{
    public static int Report(Exception ex, TextWriter error, string address)
    {
        switch (ex)
        {
            case UsageException usage:
                error.WriteLine($"lait: {usage.Message}");
                error.WriteLine("Run 'lait --help' for usage.");
                return ExitCodes.Usage;
            case OperationCanceledException:
            case RpcException { StatusCode: StatusCode.Cancelled } when ex.Message.Contains("by the client", StringComparison.Ordinal):
                error.WriteLine("lait: interrupted");
                return ExitCodes.Interrupted;
            case RpcException rpc when IsUnreachable(rpc):
                error.WriteLine($"lait: cannot reach the server at {address}: {rpc.Status.Detail}");
                return ExitCodes.Unreachable;
            case RpcException rpc:
                error.WriteLine($"lait: {CodeName(rpc.StatusCode)}: {rpc.Status.Detail}");
                return ExitCodes.ServerError;
            case UnreachableException unreachable:
                error.WriteLine($"lait: {unreachable.Message}");
                return ExitCodes.Unreachable;
            default:
                error.WriteLine($"lait: error: {ex.Message}");
                return ExitCodes.ServerError;
        }
    }

    /// <summary>UNAVAILABLE because no connection could be made (not a server that answered UNAVAILABLE).</summary>
    public static bool IsUnreachable(RpcException rpc)
    {
        if (rpc.StatusCode != StatusCode.Unavailable) return false;
        for (Exception? e = rpc.InnerException; e is not null; e = e.InnerException)
        {
            if (e is SocketException or HttpRequestException) return true;
        }
        return rpc.Status.Detail.StartsWith("cannot reach the server", StringComparison.Ordinal);
    }

    /// <summary>"InvalidArgument" → "INVALID_ARGUMENT", as gRPC documents the codes.</summary>
    public static string CodeName(StatusCode code)
    {
        string name = code.ToString();
        var sb = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(name[i]));
        }
        return sb.ToString();
    }
}

/// <summary>A non-gRPC endpoint (the metrics URL) could not be reached (exit 3).</summary>
public sealed class UnreachableException(string message) : Exception(message);
