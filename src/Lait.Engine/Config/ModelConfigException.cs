namespace Lait.Engine.Config;

/// <summary>config.json is missing, malformed, or describes a model the engine cannot run.</summary>
public sealed class ModelConfigException : Exception
{
    public ModelConfigException(string message) : base(message)
    {
    }

    public ModelConfigException(string message, Exception inner) : base(message, inner)
    {
    }
}
