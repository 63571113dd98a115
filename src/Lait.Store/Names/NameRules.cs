using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Lait.Store.Names;

/// <summary>Validation, ordering and page tokens for client-chosen names, shared by all backends.</summary>
/// <remarks>
/// These are the store's own bounds (bytes it will key by), not the public API's: the service checks
/// what lait.v1 promises (namespace 1-128 characters, name 1-512 code points) and then stores the
/// namespace prefixed with the model name, so the store's bounds leave room for that prefix and for
/// names of 512 code points of up to 4 UTF-8 bytes each.
/// </remarks>
public static class NameRules
{
    /// <summary>A caller's namespace (128) plus a model-name prefix: room for model names of 800+ bytes.</summary>
    public const int MaxNamespaceBytes = 1024;
    /// <summary>512 code points of up to 4 UTF-8 bytes each.</summary>
    public const int MaxNameBytes = 2048;
    public const int MaxPageSize = 1000;

    /// <summary>Namespace: 1..<see cref="MaxNamespaceBytes"/> UTF-8 bytes, no control characters, no '{' or '}' (Redis hash tags).</summary>
    public static void ValidateNamespace(string nameSpace)
    {
        ArgumentNullException.ThrowIfNull(nameSpace);
        Validate(nameSpace, MaxNamespaceBytes, "namespace", nameof(nameSpace));
        if (nameSpace.AsSpan().IndexOfAny('{', '}') >= 0)
            throw new ArgumentException("A namespace must not contain '{' or '}'.", nameof(nameSpace));
    }

    /// <summary>Name: 1..<see cref="MaxNameBytes"/> UTF-8 bytes, no control characters.</summary>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        Validate(name, MaxNameBytes, "name", nameof(name));
    }

    public static void ValidatePageSize(int pageSize)
    {
        if (pageSize < 1 || pageSize > MaxPageSize)
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"Page size must be in 1..{MaxPageSize}.");
    }

    /// <summary>Order of names in listings: Unicode code points, which equals UTF-8 byte order (as Redis sorts).</summary>
    public static readonly IComparer<string> Order = Comparer<string>.Create(CompareCodePoints);

    public static int CompareCodePoints(string? a, string? b)
    {
        if (ReferenceEquals(a, b)) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            bool ha = ea.MoveNext(), hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : (ha ? 1 : -1);
            int c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }

    // Page token: base64url of [version 1][namespace tag 8][check 8][last name, UTF-8]. The namespace tag
    // binds a token to the namespace it was issued for; the check (a truncated SHA-256 over version, tag
    // and name) makes anything not issued by a store of this format fail to parse. Not a secret: a token
    // only says where a listing resumes, in a namespace the caller may list anyway, so it needs no key
    // and every replica sharing a Redis store accepts every other replica's tokens.
    private const byte PageTokenVersion = 1;
    private const int PageTokenHeader = 1 + 8 + 8;

    /// <summary>Longest page token a store issues (base64url of the header and the longest name).</summary>
    public static readonly int MaxPageTokenChars = (PageTokenHeader + MaxNameBytes + 2) / 3 * 4;

    /// <summary>An opaque token for the page after <paramref name="lastName"/> in <paramref name="nameSpace"/>.</summary>
    public static string MakePageToken(string nameSpace, string lastName)
    {
        ArgumentNullException.ThrowIfNull(nameSpace);
        ArgumentNullException.ThrowIfNull(lastName);
        var name = Encoding.UTF8.GetBytes(lastName);
        var token = new byte[PageTokenHeader + name.Length];
        token[0] = PageTokenVersion;
        NamespaceTag(nameSpace, token.AsSpan(1, 8));
        name.CopyTo(token.AsSpan(PageTokenHeader));
        Check(token, token.AsSpan(9, 8));
        return Base64Url.EncodeToString(token);
    }

    /// <summary>
    /// The last name of the previous page; null for null or "" (the first page).
    /// </summary>
    /// <exception cref="FormatException">The token was not issued by <see cref="MakePageToken"/> for this namespace.</exception>
    public static string? ParsePageToken(string nameSpace, string? pageToken)
    {
        ArgumentNullException.ThrowIfNull(nameSpace);
        if (string.IsNullOrEmpty(pageToken))
            return null;
        if (pageToken.Length > MaxPageTokenChars)
            throw new FormatException($"A page token is at most {MaxPageTokenChars} characters, got {pageToken.Length}.");
        byte[] token;
        try
        {
            token = Base64Url.DecodeFromChars(pageToken);
        }
        catch (FormatException)
        {
            throw new FormatException("A page token is base64url; this one is not.");
        }
        if (token.Length <= PageTokenHeader || token[0] != PageTokenVersion)
            throw new FormatException("Not a page token of this store.");
        Span<byte> expected = stackalloc byte[8];
        Check(token, expected);
        if (!expected.SequenceEqual(token.AsSpan(9, 8)))
            throw new FormatException("Page token check failed: it was not issued by this store, or was altered.");
        NamespaceTag(nameSpace, expected);
        if (!expected.SequenceEqual(token.AsSpan(1, 8)))
            throw new FormatException("Page token was issued for another namespace.");
        string name;
        try
        {
            name = new UTF8Encoding(false, true).GetString(token, PageTokenHeader, token.Length - PageTokenHeader);
        }
        catch (ArgumentException)
        {
            throw new FormatException("Page token does not hold a valid name.");
        }
        return name;
    }

    private static void NamespaceTag(string nameSpace, Span<byte> destination)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes("lait-page-token-namespace\0" + nameSpace), hash);
        hash[..8].CopyTo(destination);
    }

    // SHA-256 over everything but the check field itself, truncated to 8 bytes.
    private static void Check(byte[] token, Span<byte> destination)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(token, 0, 9);
        sha.AppendData(token, PageTokenHeader, token.Length - PageTokenHeader);
        Span<byte> hash = stackalloc byte[32];
        sha.GetHashAndReset(hash);
        hash[..8].CopyTo(destination);
    }

    private static void Validate(string value, int maxBytes, string what, string paramName)
    {
        if (value.Length == 0)
            throw new ArgumentException($"A {what} must not be empty.", paramName);
        foreach (char c in value)
        {
            if (char.IsControl(c))
                throw new ArgumentException($"A {what} must not contain control characters.", paramName);
        }
        int bytes;
        try
        {
            bytes = new UTF8Encoding(false, true).GetByteCount(value);
        }
        catch (EncoderFallbackException)
        {
            throw new ArgumentException($"A {what} must be valid Unicode (no lone surrogates).", paramName);
        }
        if (bytes > maxBytes)
            throw new ArgumentException($"A {what} is at most {maxBytes} UTF-8 bytes, got {bytes}.", paramName);
    }
}
