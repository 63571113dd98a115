using System.Collections;

namespace Lait.Grpc.Wire;

/// <summary>
/// gRPC metadata (custom headers or trailers): an ordered list of entries whose keys are lower-case.
/// Keys ending in "-bin" carry bytes (base64 on the wire); other keys carry printable ASCII.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    private readonly List<Entry> _entries = new();

    public int Count => _entries.Count;

    public Entry this[int index] => _entries[index];

    public Metadata Add(string key, string value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    public Metadata Add(string key, byte[] value)
    {
        _entries.Add(new Entry(key, value));
        return this;
    }

    public Metadata Add(Entry entry)
    {
        _entries.Add(entry);
        return this;
    }

    /// <summary>The last entry with this key, or null.</summary>
    public Entry? Get(string key)
    {
        string normalized = Entry.NormalizeKey(key);
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Key == normalized)
            {
                return _entries[i];
            }
        }

        return null;
    }

    /// <summary>The string value of the last entry with this key, or null.</summary>
    public string? GetValue(string key) => Get(key)?.Value;

    /// <summary>The bytes of the last "-bin" entry with this key, or null.</summary>
    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerable<Entry> GetAll(string key)
    {
        string normalized = Entry.NormalizeKey(key);
        foreach (Entry entry in _entries)
        {
            if (entry.Key == normalized)
            {
                yield return entry;
            }
        }
    }

    public bool Remove(Entry entry) => _entries.Remove(entry);

    public void Clear() => _entries.Clear();

    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Parses one header as it arrived on the wire. "-bin" values are base64 (padded or not);
    /// several values of one key may arrive comma-separated.
    /// </summary>
    public static Entry FromWire(string key, string wireValue)
    {
        string normalized = Entry.NormalizeKey(key);
        if (Entry.IsBinaryKey(normalized))
        {
            return new Entry(normalized, Base64.Decode(wireValue), trusted: true);
        }

        return new Entry(normalized, wireValue, trusted: true);
    }

    /// <summary>One metadata entry.</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _valueBytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            ValidateKey(Key);
            if (IsBinaryKey(Key))
            {
                throw new ArgumentException($"key '{Key}' ends in -bin: pass the value as bytes", nameof(key));
            }

            ArgumentNullException.ThrowIfNull(value);
            foreach (char c in value)
            {
                if (c < 0x20 || c > 0x7E)
                {
                    throw new ArgumentException($"metadata value of '{Key}' must be printable ASCII", nameof(value));
                }
            }

            _value = value;
        }

        public Entry(string key, byte[] value)
        {
            Key = NormalizeKey(key);
            ValidateKey(Key);
            if (!IsBinaryKey(Key))
            {
                throw new ArgumentException($"binary metadata key '{Key}' must end in -bin", nameof(key));
            }

            _valueBytes = value ?? throw new ArgumentNullException(nameof(value));
        }

        // Entries parsed from the wire are kept as they came (the peer's HTTP/2 stack validated them).
        internal Entry(string key, string value, bool trusted)
        {
            _ = trusted;
            Key = key;
            _value = value;
        }

        internal Entry(string key, byte[] value, bool trusted)
        {
            _ = trusted;
            Key = key;
            _valueBytes = value;
        }

        public string Key { get; }

        public bool IsBinary => _valueBytes is not null;

        /// <summary>The ASCII value; for a binary entry, its base64 form.</summary>
        public string Value => _value ?? Convert.ToBase64String(_valueBytes!);

        /// <summary>The bytes of a binary entry; for an ASCII entry, its ASCII bytes.</summary>
        public byte[] ValueBytes => _valueBytes ?? System.Text.Encoding.ASCII.GetBytes(_value!);

        /// <summary>The header value to send: base64 without padding for "-bin", else the value.</summary>
        public string WireValue => _valueBytes is null ? _value! : Base64.EncodeUnpadded(_valueBytes);

        public override string ToString() => $"{Key}={Value}";

        internal static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            return key.ToLowerInvariant();
        }

        internal static bool IsBinaryKey(string key) => key.EndsWith(GrpcProtocol.BinarySuffix, StringComparison.Ordinal);

        private static void ValidateKey(string key)
        {
            foreach (char c in key)
            {
                bool ok = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.';
                if (!ok)
                {
                    throw new ArgumentException($"metadata key '{key}' has an invalid character '{c}'", nameof(key));
                }
            }

        }
    }

    private static class Base64
    {
        public static string EncodeUnpadded(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

        public static byte[] Decode(string value)
        {
            // Several values of one key may have been joined with ",": decode each and concatenate
            // would lose boundaries, so only the first is kept, as a single entry cannot hold more.
            string s = value.Trim();
            int comma = s.IndexOf(',');
            if (comma >= 0)
            {
                s = s[..comma].Trim();
            }

            int pad = (4 - (s.Length % 4)) % 4;
            if (pad == 3)
            {
                throw new FormatException("invalid base64 length in binary metadata");
            }

            return Convert.FromBase64String(pad == 0 ? s : s + new string('=', pad));
        }
    }
}
