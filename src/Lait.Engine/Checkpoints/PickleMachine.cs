using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Lait.Engine.Checkpoints;

/// <summary>A reference to a global (module.name) named by the pickle stream. Nothing is ever imported or called.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => Module + "." + Name;
}

/// <summary>('storage', type, key, location, numel): the persistent id torch writes for a storage.</summary>
internal sealed record StorageReference(string TypeName, string Key, long ElementCount);

/// <summary>The arguments of torch._utils._rebuild_tensor_v2: a strided view into a storage.</summary>
internal sealed record TensorReference(StorageReference Storage, long StorageOffset, long[] Size, long[] Stride);

/// <summary>An object we do not model (anything that is neither a tensor nor a container); kept so that
/// irrelevant entries (metadata, version numbers) do not fail a load.</summary>
internal sealed record OpaqueObject(string TypeName);

/// <summary>A pickled dict or OrderedDict, in insertion order.</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = new();
}

/// <summary>A minimal pickle virtual machine for the subset torch.save writes (protocol 2, plus the
/// protocol 4 framing opcodes). It builds plain data; globals are recorded, never resolved or executed.</summary>
internal sealed class PickleMachine
{
    private static readonly object s_mark = new();

    private readonly byte[] _data;
    private readonly string _path;
    private readonly List<object?> _stack = new();
    private readonly Dictionary<int, object?> _memo = new();
    private int _pos;

    private PickleMachine(byte[] data, string path)
    {
        _data = data;
        _path = path;
    }

    public static object? Load(byte[] data, string path) => new PickleMachine(data, path).Run();

    private object? Run()
    {
        while (true)
        {
            int opAt = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol > 5)
                    {
                        throw Fail($"unsupported pickle protocol {protocol}");
                    }

                    break;
                case 0x95: // FRAME: a length hint only
                    Skip(8);
                    break;
                case (byte)'.': // STOP
                    if (_stack.Count != 1)
                    {
                        throw Fail($"STOP with {_stack.Count} values on the stack");
                    }

                    return _stack[0];
                case (byte)'(': // MARK
                    _stack.Add(s_mark);
                    break;
                case (byte)'0': // POP
                    Pop();
                    break;
                case (byte)'1': // POP_MARK
                    PopToMark();
                    break;
                case (byte)'2': // DUP
                    _stack.Add(Peek());
                    break;
                case (byte)'N':
                    _stack.Add(null);
                    break;
                case 0x88: // NEWTRUE
                    _stack.Add(true);
                    break;
                case 0x89: // NEWFALSE
                    _stack.Add(false);
                    break;
                case (byte)'K': // BININT1
                    _stack.Add((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadSpan(2)));
                    break;
                case (byte)'J': // BININT
                    _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadSpan(4)));
                    break;
                case 0x8a: // LONG1
                    _stack.Add(ReadLong(ReadByte()));
                    break;
                case 0x8b: // LONG4
                    _stack.Add(ReadLong(ReadLength(4)));
                    break;
                case (byte)'G': // BINFLOAT, big-endian
                    _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadSpan(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    _stack.Add(Encoding.UTF8.GetString(ReadSpan(ReadLength(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    _stack.Add(Encoding.UTF8.GetString(ReadSpan(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    _stack.Add(Encoding.UTF8.GetString(ReadSpan(ReadLength(8))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    _stack.Add(Encoding.Latin1.GetString(ReadSpan(ReadByte())));
                    break;
                case (byte)'T': // BINSTRING
                    _stack.Add(Encoding.Latin1.GetString(ReadSpan(ReadLength(4))));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    _stack.Add(ReadSpan(ReadByte()).ToArray());
                    break;
                case (byte)'B': // BINBYTES
                    _stack.Add(ReadSpan(ReadLength(4)).ToArray());
                    break;
                case (byte)'}': // EMPTY_DICT
                    _stack.Add(new PickleDict());
                    break;
                case (byte)']': // EMPTY_LIST
                    _stack.Add(new List<object?>());
                    break;
                case (byte)')': // EMPTY_TUPLE
                    _stack.Add(Array.Empty<object?>());
                    break;
                case (byte)'t': // TUPLE
                    _stack.Add(PopToMark().ToArray());
                    break;
                case 0x85: // TUPLE1
                    _stack.Add(new[] { Pop() });
                    break;
                case 0x86: // TUPLE2
                {
                    object? b = Pop();
                    object? a = Pop();
                    _stack.Add(new[] { a, b });
                    break;
                }

                case 0x87: // TUPLE3
                {
                    object? c = Pop();
                    object? b = Pop();
                    object? a = Pop();
                    _stack.Add(new[] { a, b, c });
                    break;
                }

                case (byte)'a': // APPEND
                {
                    object? value = Pop();
                    AsList(Peek(), opAt).Add(value);
                    break;
                }

                case (byte)'e': // APPENDS
                {
                    List<object?> values = PopToMark();
                    AsList(Peek(), opAt).AddRange(values);
                    break;
                }

                case (byte)'s': // SETITEM
                {
                    object? value = Pop();
                    object? key = Pop();
                    AsDict(Peek(), opAt).Items.Add(new(key, value));
                    break;
                }

                case (byte)'u': // SETITEMS
                {
                    List<object?> values = PopToMark();
                    if (values.Count % 2 != 0)
                    {
                        throw Fail("SETITEMS with an odd number of values");
                    }

                    PickleDict dict = AsDict(Peek(), opAt);
                    for (int i = 0; i < values.Count; i += 2)
                    {
                        dict.Items.Add(new(values[i], values[i + 1]));
                    }

                    break;
                }

                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Peek();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[ReadLength(4)] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case (byte)'h': // BINGET
                    _stack.Add(GetMemo(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    _stack.Add(GetMemo(ReadLength(4)));
                    break;
                case (byte)'c': // GLOBAL
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    _stack.Add(new PickleGlobal(module, name));
                    break;
                }

                case 0x93: // STACK_GLOBAL
                {
                    string name = Pop() as string ?? throw Fail("STACK_GLOBAL name is not a string");
                    string module = Pop() as string ?? throw Fail("STACK_GLOBAL module is not a string");
                    _stack.Add(new PickleGlobal(module, name));
                    break;
                }

                case (byte)'Q': // BINPERSID
                    _stack.Add(PersistentLoad(Pop()));
                    break;
                case (byte)'R': // REDUCE
                {
                    object? args = Pop();
                    object? callable = Pop();
                    _stack.Add(Reduce(callable, args as object?[] ?? throw Fail("REDUCE arguments are not a tuple")));
                    break;
                }

                case 0x81: // NEWOBJ
                {
                    object? args = Pop();
                    object? cls = Pop();
                    _stack.Add(Reduce(cls, args as object?[] ?? throw Fail("NEWOBJ arguments are not a tuple")));
                    break;
                }

                case (byte)'b': // BUILD: state for __setstate__; attributes such as _metadata are not needed
                    Pop();
                    break;
                default:
                    throw Fail($"unsupported pickle opcode 0x{op:x2} at byte {opAt}");
            }
        }
    }

    private object? Reduce(object? callable, object?[] args)
    {
        if (callable is not PickleGlobal global)
        {
            throw Fail("REDUCE on a value that is not a global");
        }

        switch (global.FullName)
        {
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                if (args.Length < 4 || args[0] is not StorageReference storage || args[1] is not long offset)
                {
                    throw Fail($"{global.FullName} with unexpected arguments");
                }

                return new TensorReference(storage, offset, ToLongs(args[2], "size"), ToLongs(args[3], "stride"));
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 ? args[0] : throw Fail($"{global.FullName} without arguments");
            case "collections.OrderedDict":
            case "builtins.dict":
            {
                var dict = new PickleDict();
                if (args.Length > 0 && args[0] is List<object?> pairs)
                {
                    foreach (object? pair in pairs)
                    {
                        if (pair is object?[] { Length: 2 } kv)
                        {
                            dict.Items.Add(new(kv[0], kv[1]));
                        }
                    }
                }

                return dict;
            }

            default:
                return new OpaqueObject(global.FullName);
        }
    }

    private StorageReference PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: >= 5 } tuple || tuple[0] as string != "storage")
        {
            throw Fail("persistent id is not a ('storage', type, key, location, numel) tuple");
        }

        string typeName = tuple[1] switch
        {
            PickleGlobal g => g.Name,
            string s => s,
            _ => throw Fail("storage type is neither a global nor a string"),
        };
        string key = tuple[2] as string ?? throw Fail("storage key is not a string");
        long numel = tuple[4] as long? ?? throw Fail("storage element count is not an integer");
        return new StorageReference(typeName, key, numel);
    }

    private long[] ToLongs(object? value, string what)
    {
        if (value is not object?[] items)
        {
            throw Fail($"tensor {what} is not a tuple");
        }

        long[] result = new long[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            result[i] = items[i] as long? ?? throw Fail($"tensor {what} holds a non-integer");
        }

        return result;
    }

    private object? GetMemo(int index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Fail($"memo index {index} was never stored");

    private List<object?> AsList(object? value, int at) =>
        value as List<object?> ?? throw Fail($"append to a non-list at byte {at}");

    private PickleDict AsDict(object? value, int at) =>
        value as PickleDict ?? throw Fail($"set item on a non-dict at byte {at}");

    private object? Pop()
    {
        if (_stack.Count == 0)
        {
            throw Fail("stack underflow");
        }

        object? value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        if (ReferenceEquals(value, s_mark))
        {
            throw Fail("unexpected MARK");
        }

        return value;
    }

    private object? Peek() => _stack.Count > 0 && !ReferenceEquals(_stack[^1], s_mark) ? _stack[^1] : throw Fail("stack underflow");

    private List<object?> PopToMark()
    {
        int mark = _stack.Count - 1;
        while (mark >= 0 && !ReferenceEquals(_stack[mark], s_mark))
        {
            mark--;
        }

        if (mark < 0)
        {
            throw Fail("no MARK on the stack");
        }

        List<object?> values = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return values;
    }

    private byte ReadByte() => _pos < _data.Length ? _data[_pos++] : throw Fail("pickle ends without STOP (truncated)");

    private ReadOnlySpan<byte> ReadSpan(int length)
    {
        if (length < 0 || length > _data.Length - _pos)
        {
            throw Fail("pickle ends inside a value (truncated)");
        }

        var span = new ReadOnlySpan<byte>(_data, _pos, length);
        _pos += length;
        return span;
    }

    private void Skip(int length) => ReadSpan(length);

    private int ReadLength(int bytes)
    {
        ReadOnlySpan<byte> span = ReadSpan(bytes);
        ulong value = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(span) : BinaryPrimitives.ReadUInt64LittleEndian(span);
        return value <= int.MaxValue ? (int)value : throw Fail($"length {value} too large");
    }

    private long ReadLong(int bytes)
    {
        if (bytes == 0)
        {
            return 0;
        }

        var value = new BigInteger(ReadSpan(bytes), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : throw Fail("integer beyond 64 bits");
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0)
        {
            throw Fail("GLOBAL name without newline (truncated)");
        }

        string line = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return line;
    }

    private CheckpointException Fail(string problem) => new(_path, null, "pickle: " + problem + ".");
}
