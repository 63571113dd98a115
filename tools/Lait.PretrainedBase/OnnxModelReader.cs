using Google.Protobuf;

namespace Lait.PretrainedBase;

/// <summary>An ONNX graph node: its operator and the names of the values it reads and writes.</summary>
public sealed record OnnxNode(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

/// <summary>A float initializer of an ONNX graph (a weight), row-major in its stored shape.</summary>
public sealed record OnnxTensor(string Name, int[] Shape, float[] Values);

/// <summary>
/// Reads the parts of an ONNX ModelProto a weight converter needs (graph nodes and float initializers)
/// straight from the protobuf wire format, so no ONNX schema or package is needed. Field numbers are
/// those of onnx.proto: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5; NodeProto.input = 1,
/// output = 2, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9.
/// </summary>
public sealed class OnnxModelReader
{
    private const int FloatDataType = 1;

    public List<OnnxNode> Nodes { get; } = [];

    public Dictionary<string, OnnxTensor> Initializers { get; } = new(StringComparer.Ordinal);

    public static OnnxModelReader Read(byte[] model)
    {
        var result = new OnnxModelReader();
        var input = new CodedInputStream(model);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 7)
            {
                result.ReadGraph(input.ReadBytes());
            }
            else
            {
                input.SkipLastField();
            }
        }

        if (result.Nodes.Count == 0)
        {
            throw new InvalidDataException("The file holds no ONNX graph (no ModelProto.graph nodes).");
        }

        return result;
    }

    private void ReadGraph(ByteString graph)
    {
        var input = new CodedInputStream(graph.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    Nodes.Add(ReadNode(input.ReadBytes()));
                    break;
                case 5:
                    OnnxTensor? t = ReadTensor(input.ReadBytes());
                    if (t is not null)
                    {
                        Initializers[t.Name] = t;
                    }

                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    private static OnnxNode ReadNode(ByteString node)
    {
        var input = new CodedInputStream(node.ToByteArray());
        var inputs = new List<string>();
        var outputs = new List<string>();
        string op = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: inputs.Add(input.ReadString()); break;
                case 2: outputs.Add(input.ReadString()); break;
                case 4: op = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new OnnxNode(op, inputs, outputs);
    }

    /// <summary>Returns null for non-float initializers (shape constants and the like).</summary>
    private static OnnxTensor? ReadTensor(ByteString tensor)
    {
        var input = new CodedInputStream(tensor.ToByteArray());
        var dims = new List<long>();
        var floats = new List<float>();
        int dataType = 0;
        string name = "";
        byte[]? raw = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            bool packed = WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
            switch (field)
            {
                case 1 when packed:
                    var d = new CodedInputStream(input.ReadBytes().ToByteArray());
                    while (!d.IsAtEnd)
                    {
                        dims.Add(d.ReadInt64());
                    }

                    break;
                case 1: dims.Add(input.ReadInt64()); break;
                case 2: dataType = input.ReadInt32(); break;
                case 4 when packed:
                    byte[] fb = input.ReadBytes().ToByteArray();
                    for (int i = 0; i + 4 <= fb.Length; i += 4)
                    {
                        floats.Add(BitConverter.ToSingle(fb, i));
                    }

                    break;
                case 4: floats.Add(input.ReadFloat()); break;
                case 8: name = input.ReadString(); break;
                case 9: raw = input.ReadBytes().ToByteArray(); break;
                default: input.SkipLastField(); break;
            }
        }

        if (dataType != FloatDataType)
        {
            return null;
        }

        int[] shape = dims.Select(x => checked((int)x)).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        float[] values = raw is not null ? new float[raw.Length / 4] : floats.ToArray();
        if (raw is not null)
        {
            Buffer.BlockCopy(raw, 0, values, 0, values.Length * 4); // ONNX raw_data is little-endian, as is x64
        }

        if (values.Length != count)
        {
            throw new InvalidDataException($"ONNX initializer '{name}' has {values.Length} values for shape [{string.Join(",", shape)}].");
        }

        return new OnnxTensor(name, shape, values);
    }
}
