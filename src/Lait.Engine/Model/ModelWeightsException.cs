namespace Lait.Engine.Model;

/// <summary>The checkpoint does not match config.json: a missing tensor or a tensor of the wrong shape.</summary>
public sealed class ModelWeightsException : Exception
{
    public ModelWeightsException(string message) : base(message)
    {
    }
}
