namespace Lait.Engine.Heads;

/// <summary>How a joint sequence becomes one embedding vector.</summary>
public enum PoolingMode
{
    /// <summary>The first token's final hidden state ([CLS] / &lt;s&gt;).</summary>
    Cls,

    /// <summary>The mean of all tokens' final hidden states (sentence-transformers' mean pooling; no padding exists here).</summary>
    Mean,
}
