namespace Lait.Engine.Model;

/// <summary>A request the model cannot run as given (bad token id, too long, no segments...). The message says what to change.</summary>
public sealed class EngineInputException : Exception
{
    public EngineInputException(string message) : base(message)
    {
    }
}
