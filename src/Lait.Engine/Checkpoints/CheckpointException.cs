namespace Lait.Engine.Checkpoints;

/// <summary>A checkpoint could not be read. The message names the file, the tensor (when one is involved) and the problem.</summary>
public sealed class CheckpointException : Exception
{
    public CheckpointException(string message)
        : base(message)
    {
    }

    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CheckpointException(string filePath, string? tensorName, string problem, Exception? innerException = null)
        : base(Format(filePath, tensorName, problem), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
    }

    public string? FilePath { get; }

    public string? TensorName { get; }

    private static string Format(string filePath, string? tensorName, string problem) =>
        tensorName is null
            ? $"Checkpoint '{filePath}': {problem}"
            : $"Checkpoint '{filePath}', tensor '{tensorName}': {problem}";
}
