namespace Lait.Engine.Tokenization;

public enum TokenizerKind
{
    WordPiece,
    ByteLevelBpe,
}

/// <summary>Text to token ids with offsets. Implementations are immutable after loading and safe to call from
/// many threads at once. Special tokens are not added: the caller frames segments with Cls/Sep by role, and
/// special-token strings inside the text (e.g. "[SEP]") are tokenized as ordinary text, so user text can never
/// inject a segment boundary.</summary>
public interface ITokenizer
{
    TokenizerKind Kind { get; }

    Vocabulary Vocabulary { get; }

    SpecialTokenIds SpecialTokens { get; }

    /// <summary>Hex SHA-256 over everything that decides the output: vocabulary, merges, normalizer and
    /// pre-tokenizer settings. Two tokenizers with equal fingerprints give equal ids for every text.</summary>
    string Fingerprint { get; }

    /// <summary>Tokenizes <paramref name="text"/>. Throws ArgumentException for an unpaired surrogate.</summary>
    TokenSpan[] Encode(string text);

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="output"/> (offsets relative to
    /// <paramref name="text"/>); allocation-free in steady state apart from growth of <paramref name="output"/>.</summary>
    void EncodeTo(ReadOnlySpan<char> text, List<TokenSpan> output);
}
