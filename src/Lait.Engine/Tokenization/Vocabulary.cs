namespace Lait.Engine.Tokenization;

/// <summary>Token strings by id and ids by token string (looked up from spans without allocating).</summary>
public sealed class Vocabulary
{
    private readonly string?[] _tokens;
    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _spanLookup;

    public Vocabulary(IReadOnlyDictionary<string, int> tokenToId, string source)
    {
        ArgumentNullException.ThrowIfNull(tokenToId);
        _ids = new Dictionary<string, int>(tokenToId.Count, StringComparer.Ordinal);
        int maxId = -1;
        foreach ((string token, int id) in tokenToId)
        {
            if (id < 0)
            {
                throw new TokenizerException($"{source}: token '{token}' has negative id {id}.");
            }

            _ids[token] = id;
            maxId = Math.Max(maxId, id);
        }

        _tokens = new string?[maxId + 1];
        foreach ((string token, int id) in _ids)
        {
            if (_tokens[id] is not null)
            {
                throw new TokenizerException($"{source}: id {id} is given to both '{_tokens[id]}' and '{token}'.");
            }

            _tokens[id] = token;
        }

        _spanLookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (string token in _ids.Keys)
        {
            MaxTokenLength = Math.Max(MaxTokenLength, token.Length);
        }
    }

    /// <summary>One more than the largest id: the size of an embedding table for this vocabulary.</summary>
    public int Size => _tokens.Length;

    /// <summary>Number of distinct tokens.</summary>
    public int Count => _ids.Count;

    /// <summary>Length in UTF-16 units of the longest token.</summary>
    public int MaxTokenLength { get; }

    /// <summary>The token with this id, or null for an id outside the vocabulary (or a gap in it).</summary>
    public string? this[int id] => (uint)id < (uint)_tokens.Length ? _tokens[id] : null;

    public bool Contains(int id) => this[id] is not null;

    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _spanLookup.TryGetValue(token, out id);

    public int IdOrMinusOne(string token) => _ids.TryGetValue(token, out int id) ? id : -1;

    /// <summary>Tokens in id order (null for gaps); used for fingerprints.</summary>
    internal ReadOnlySpan<string?> TokensById => _tokens;
}
