using Google.Protobuf.Reflection;
using Lait.Protos.V1;

namespace Lait.Server.Validation;

/// <summary>
/// The request rules of lait.v1 that do not need a model or the store, checked before any work:
/// enum fields hold a value the proto defines (an unknown number is INVALID_ARGUMENT naming the
/// field, never silently read as a default), and segment names keep what the proto promises
/// (namespace 1-128 characters of [A-Za-z0-9._-]; name 1-512 Unicode code points, no control
/// characters), however the server stores them internally. Each method throws the status itself
/// (see <see cref="RequestError"/>); handlers call them first thing.
/// </summary>
public static class RequestValidator
{
    /// <summary>Longest namespace, in characters (all ASCII, so also bytes).</summary>
    public const int MaxNamespaceChars = 128;

    /// <summary>Longest name, in Unicode code points (a character outside the BMP counts once).</summary>
    public const int MaxNameChars = 512;

    // ---------------------------------------------------------------- whole requests

    public static void Check(CombineRequest request)
    {
        Enum(request.Task, "task");
        Enum(request.Aggregation, "aggregation");
        Enum(request.Truncation, "truncation");
        for (int i = 0; i < request.Segments.Count; i++)
        {
            var reference = request.Segments[i];
            if (reference.RefCase == SegmentRef.RefOneofCase.Inline) Check(reference.Inline, $"segments[{i}].inline");
            else if (reference.RefCase == SegmentRef.RefOneofCase.Name) Name(reference.Name, $"segments[{i}].name");
        }
    }

    /// <summary>One EncodeSegment message (its failure is that message's acknowledgement error).</summary>
    public static void Check(EncodeSegmentRequest request)
    {
        Enum(request.Durability, "durability");
        if (request.Segment is not null) Check(request.Segment, "segment");
        if (request.Name is not null) Name(request.Name, "name");
    }

    /// <summary>
    /// EncodeDocument once the sentence count is known: enums, and every name the call would write
    /// (<c>name_prefix + "/" + i</c> for i below <paramref name="sentences"/>), so that a call that fails
    /// on a name fails before anything is stored.
    /// </summary>
    public static void Check(EncodeDocumentRequest request, int sentences)
    {
        Enum(request.Role, "role");
        Enum(request.Durability, "durability");
        Enum(request.Truncation, "truncation");
        bool named = request.Namespace.Length > 0 || request.NamePrefix.Length > 0;
        if (!named) return;
        if (request.Namespace.Length == 0 || request.NamePrefix.Length == 0)
        {
            throw RequestError.Invalid("namespace and name_prefix go together: set both to name the sentences, or neither");
        }
        Namespace(request.Namespace, "namespace");
        int prefix = CountName(request.NamePrefix, "name_prefix");
        int digits = Math.Max(1, sentences - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        int room = MaxNameChars - 1 - digits;
        if (prefix > room)
        {
            throw RequestError.Invalid(
                $"name_prefix has {prefix} characters; sentence i is named name_prefix + \"/\" + i, at most {MaxNameChars} characters, " +
                $"so with {sentences} sentences name_prefix may have at most {room}");
        }
    }

    private static void Check(SegmentInput input, string field)
    {
        Enum(input.Role, $"{field}.role");
        Enum(input.Truncation, $"{field}.truncation");
    }

    // ---------------------------------------------------------------- names

    /// <summary>A namespace: 1-128 characters of [A-Za-z0-9._-].</summary>
    public static void Namespace(string nameSpace, string field)
    {
        if (nameSpace.Length is 0 or > MaxNamespaceChars || !nameSpace.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw RequestError.Invalid(
                $"{field} must be 1-{MaxNamespaceChars} characters of [A-Za-z0-9._-], got {ErrorText.Quote(nameSpace)} ({nameSpace.Length} characters)");
        }
    }

    /// <summary>A name: namespace as above, name 1-512 Unicode code points without control characters.</summary>
    public static void Name(SegmentName name, string field)
    {
        Namespace(name.Namespace, $"{field}.namespace");
        int count = CountName(name.Name, $"{field}.name");
        if (count is 0 or > MaxNameChars)
        {
            throw RequestError.Invalid($"{field}.name must be 1-{MaxNameChars} characters, got {count}");
        }
    }

    // Code points of a name; INVALID_ARGUMENT for control characters and lone surrogates.
    private static int CountName(string value, string field)
    {
        int count = 0;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsControl(c))
            {
                throw RequestError.Invalid($"{field} must not contain control characters (U+{(int)c:X4} at character {i})");
            }
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    throw RequestError.Invalid($"{field} is not valid Unicode (a lone surrogate at character {i})");
                }
                i++;
            }
            count++;
        }
        return count;
    }

    // ---------------------------------------------------------------- enums

    /// <summary>INVALID_ARGUMENT unless <paramref name="value"/> is a value the proto defines for its enum.</summary>
    public static void Enum<T>(T value, string field) where T : struct, System.Enum
    {
        if (System.Enum.IsDefined(value)) return;
        var descriptor = EnumDescriptorOf(typeof(T));
        string known = string.Join(", ", descriptor.Values.Select(v => $"{v.Name} ({v.Number})"));
        throw RequestError.Invalid($"{field} is {Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)}, " +
            $"which is not a value of {descriptor.Name}: use one of {known}");
    }

    private static EnumDescriptor EnumDescriptorOf(Type type) =>
        LaitReflection.Descriptor.EnumTypes.FirstOrDefault(e => e.ClrType == type)
        ?? throw new InvalidOperationException($"{type.Name} is not an enum of lait.v1");
}
