namespace Lait.Engine.Tokenization;

/// <summary>The BERT normalizer's switches, as in tokenizer.json's BertNormalizer or tokenizer_config.json.</summary>
/// <param name="CleanText">Drop NUL, U+FFFD and control/format characters; turn every whitespace character into a space.</param>
/// <param name="HandleChineseChars">Make every CJK ideograph a word of its own.</param>
/// <param name="StripAccents">Decompose (NFD) and drop non-spacing marks; null means "same as Lowercase".</param>
/// <param name="Lowercase">Lower-case every character (full Unicode mapping, character by character).</param>
public sealed record BertNormalizerOptions(bool CleanText = true, bool HandleChineseChars = true, bool? StripAccents = null, bool Lowercase = true)
{
    public bool EffectiveStripAccents => StripAccents ?? Lowercase;
}

/// <param name="UnkToken">Token for a word that cannot be split into vocabulary pieces.</param>
/// <param name="ContinuingSubwordPrefix">Marks a piece that continues a word.</param>
/// <param name="MaxInputCharsPerWord">Longer words (in code points) become one unknown token.</param>
public sealed record WordPieceOptions(string UnkToken = "[UNK]", string ContinuingSubwordPrefix = "##", int MaxInputCharsPerWord = 100);
