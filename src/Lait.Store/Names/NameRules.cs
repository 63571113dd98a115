using System.Buffers.Text;
using System.Text;

namespace Lait.Store.Names;

/// <summary>Validation, ordering and page tokens for client-chosen names, shared by all backends.</summary>
public static class NameRules
{
    public const int MaxNamespaceBytes = 128;
    public const int MaxNameBytes = 512;
    public const int MaxPageSize = 1000;

    /// <summary>Namespace: 1..128 UTF-8 bytes, no control characters, no '{' or '}' (Redis hash tags).</summary>
    public static void ValidateNamespace(string nameSpace)
    {
        ArgumentNullException.ThrowIfNull(nameSpace);
        Validate(nameSpace, MaxNamespaceBytes, "namespace", nameof(nameSpace));
        if (nameSpace.AsSpan().IndexOfAny('{', '}') >= 0)
            throw new ArgumentException("A namespace must not contain '{' or '}'.", nameof(nameSpace));
    }

    /// <summary>Name: 1..512 UTF-8 bytes, no control characters.</summary>
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

    /// <summary>A page token is the last name of the previous page, base64url-encoded (opaque to clients).</summary>
    public static string MakePageToken(string lastName) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(lastName));

    /// <summary>Decodes a page token; null or "" means the first page.</summary>
    public static string? ParsePageToken(string? pageToken)
    {
        if (string.IsNullOrEmpty(pageToken))
            return null;
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(pageToken));
        }
        catch (FormatException)
        {
            throw new ArgumentException("Malformed page token.", nameof(pageToken));
        }
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
