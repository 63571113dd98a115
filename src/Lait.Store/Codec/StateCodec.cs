namespace Lait.Store.Codec;

/// <summary>How state values are stored. The byte value is part of the record format.</summary>
public enum StateCodec : byte
{
    /// <summary>4 bytes per value, exact.</summary>
    Fp32 = 1,
    /// <summary>IEEE half, 2 bytes per value; relative error &lt;= 2^-11; |v| must be &lt;= 65504.</summary>
    Fp16 = 2,
    /// <summary>Symmetric int8 with one fp32 scale per token (max|row|/127); abs error &lt;= max|row|/254.</summary>
    Int8PerToken = 3,
    /// <summary>Reserved for bfloat16 (not implemented yet; rejected with NotSupportedException).</summary>
    Bf16 = 4,
}
