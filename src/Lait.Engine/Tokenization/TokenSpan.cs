namespace Lait.Engine.Tokenization;

/// <summary>One token: its vocabulary id and the UTF-16 range [Start, End) of the original text it came
/// from (what extractive QA maps answer spans back through). Accent stripping, lower-casing and byte-level
/// splitting never move these offsets off the original text.</summary>
public readonly record struct TokenSpan(int Id, int Start, int End)
{
    public int Length => End - Start;
}
