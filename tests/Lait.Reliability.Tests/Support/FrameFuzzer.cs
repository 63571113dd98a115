using System.Buffers.Binary;
using Google.Protobuf;
using Lait.Protos.V1;

namespace Lait.Reliability.Tests.Support;

/// <summary>One gRPC method as the fuzzer sees it: its path and a valid request message.</summary>
public sealed record FuzzTarget(string Path, byte[] ValidMessage, string GrpcTimeout);

/// <summary>One generated request body and how it was made (for the failure message).</summary>
public sealed record FuzzCase(FuzzTarget Target, string Kind, byte[] Body)
{
    public override string ToString() =>
        $"{Target.Path} [{Kind}] body {Body.Length} bytes: {Convert.ToHexString(Body.AsSpan(0, Math.Min(Body.Length, 48)))}{(Body.Length > 48 ? "..." : "")}";
}

/// <summary>
/// Seeded generator of broken gRPC request bodies: bad framing (truncated prefixes, declared
/// lengths that lie, huge lengths, unknown flags), random bytes, and valid messages mutated (bit
/// flips, truncation, fields of the wrong wire type).
/// </summary>
public sealed class FrameFuzzer(int seed)
{
    public static readonly string[] Kinds =
    [
        "bit-flips", "truncated-prefix", "declared-longer", "declared-shorter", "random-bytes", "huge-length",
        "wrong-wire-types", "random-payload", "compressed-flag", "two-frames", "empty-body", "truncated-message", "bad-flags",
    ];

    private readonly Random _random = new(seed);

    public static IReadOnlyList<FuzzTarget> Targets { get; } = BuildTargets();

    private static IReadOnlyList<FuzzTarget> BuildTargets()
    {
        var combine = new CombineRequest { Task = TaskType.VerifyClaim };
        combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "the sky is blue ." } });
        combine.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = "water is wet ." } });
        // Reflection requests written by hand: field 7 = list_services, field 4 = file_containing_symbol.
        byte[] listServices = [0x3A, 0x00];
        byte[] symbol = [0x22, .. "lait.v1.Lait"u8];
        return
        [
            new("/lait.v1.Lait/EncodeSegment", new EncodeSegmentRequest { Segment = new SegmentInput { Text = "the sky is blue ." } }.ToByteArray(), "5S"),
            new("/lait.v1.Lait/EncodeDocument", new EncodeDocumentRequest { Text = "the sky is blue. water is wet." }.ToByteArray(), "5S"),
            new("/lait.v1.Lait/Combine", combine.ToByteArray(), "5S"),
            new("/lait.v1.Lait/GetSegments", new GetSegmentsRequest { SegmentIds = { new string('a', 64) } }.ToByteArray(), "5S"),
            new("/lait.v1.Lait/DeleteSegments", new DeleteSegmentsRequest { SegmentIds = { new string('b', 64) } }.ToByteArray(), "5S"),
            new("/lait.v1.Lait/ListSegments", new ListSegmentsRequest { Namespace = "docs", PageSize = 3 }.ToByteArray(), "5S"),
            new("/lait.v1.Lait/ListModels", new ListModelsRequest().ToByteArray(), "5S"),
            new("/lait.v1.Lait/DescribeModel", new DescribeModelRequest { Model = "tiny" }.ToByteArray(), "5S"),
            new("/grpc.health.v1.Health/Check", new global::Grpc.Health.V1.HealthCheckRequest { Service = "lait.v1.Lait" }.ToByteArray(), "5S"),
            // Watch streams until the deadline: a short one keeps the suite quick.
            new("/grpc.health.v1.Health/Watch", new global::Grpc.Health.V1.HealthCheckRequest { Service = "lait.v1.Lait" }.ToByteArray(), "200m"),
            new("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", listServices, "5S"),
            new("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", symbol, "5S"),
        ];
    }

    /// <summary>Every target with every kind once, then <paramref name="extra"/> random pairs.</summary>
    public IEnumerable<FuzzCase> Cases(int extra)
    {
        foreach (var target in Targets)
            foreach (var kind in Kinds)
                yield return Make(target, kind);
        for (int i = 0; i < extra; i++)
            yield return Make(Targets[_random.Next(Targets.Count)], Kinds[_random.Next(Kinds.Length)]);
    }

    private FuzzCase Make(FuzzTarget target, string kind)
    {
        byte[] valid = target.ValidMessage;
        byte[] body = kind switch
        {
            "bit-flips" => RawGrpc.Frame(FlipBits(valid)),
            "truncated-prefix" => RawGrpc.Frame(valid)[..(1 + _random.Next(4))],
            "declared-longer" => WithDeclaredLength(RawGrpc.Frame(valid), valid.Length + 1 + _random.Next(100)),
            "declared-shorter" => WithDeclaredLength(RawGrpc.Frame(valid), _random.Next(Math.Max(valid.Length, 1))),
            "random-bytes" => RandomBytes(_random.Next(200)),
            "huge-length" => WithDeclaredLength([.. RawGrpc.Frame(RandomBytes(_random.Next(16)))],
                new[] { int.MaxValue, 64 << 20, (4 << 20) + 1, _random.Next(1 << 24, int.MaxValue) }[_random.Next(4)]),
            "wrong-wire-types" => RawGrpc.Frame(WrongWireTypes()),
            "random-payload" => RawGrpc.Frame(RandomBytes(1 + _random.Next(100))),
            "compressed-flag" => RawGrpc.Frame(valid, compressed: true),
            "two-frames" => [.. RawGrpc.Frame(valid), .. RawGrpc.Frame(_random.Next(2) == 0 ? valid : FlipBits(valid))],
            "empty-body" => [],
            "truncated-message" => RawGrpc.Frame(valid.AsSpan(0, valid.Length == 0 ? 0 : _random.Next(valid.Length))),
            "bad-flags" => WithFlags(RawGrpc.Frame(valid), (byte)(2 + _random.Next(254))),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return new FuzzCase(target, kind, body);
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    private byte[] FlipBits(byte[] message)
    {
        if (message.Length == 0) return RandomBytes(1 + _random.Next(8));
        var copy = (byte[])message.Clone();
        int flips = 1 + _random.Next(8);
        for (int i = 0; i < flips; i++) copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
        return copy;
    }

    private static byte[] WithDeclaredLength(byte[] frame, int length)
    {
        if (frame.Length < 5) return frame;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)length);
        return frame;
    }

    private static byte[] WithFlags(byte[] frame, byte flags)
    {
        frame[0] = flags;
        return frame;
    }

    /// <summary>Fields 1-12 with random wire types (including the invalid 6 and 7 and unbalanced groups).</summary>
    private byte[] WrongWireTypes()
    {
        var output = new MemoryStream();
        int fields = 1 + _random.Next(6);
        for (int f = 0; f < fields; f++)
        {
            int number = 1 + _random.Next(12);
            int wireType = _random.Next(8);
            WriteVarint(output, (ulong)((number << 3) | wireType));
            switch (wireType)
            {
                case 0: WriteVarint(output, (ulong)_random.NextInt64()); break;
                case 1: output.Write(RandomBytes(8)); break;
                case 2:
                    byte[] payload = RandomBytes(_random.Next(20));
                    WriteVarint(output, (ulong)(payload.Length + (_random.Next(4) == 0 ? 50 : 0))); // sometimes a lying length
                    output.Write(payload);
                    break;
                case 5: output.Write(RandomBytes(4)); break;
                default: output.Write(RandomBytes(_random.Next(4))); break; // groups and invalid types
            }
        }
        return output.ToArray();
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
