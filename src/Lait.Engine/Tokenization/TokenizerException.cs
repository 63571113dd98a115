namespace Lait.Engine.Tokenization;

/// <summary>Tokenizer files are missing, malformed or ask for a feature we do not implement. The message names
/// the file and the problem.</summary>
public sealed class TokenizerException : Exception
{
    public TokenizerException(string message)
        : base(message)
    {
    }

    public TokenizerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
