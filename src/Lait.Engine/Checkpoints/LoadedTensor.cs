namespace Lait.Engine.Checkpoints;

/// <summary>One tensor of a checkpoint, converted to row-major fp32.</summary>
public sealed class LoadedTensor
{
    public LoadedTensor(string name, int[] shape, float[] values)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        long count = ElementCount(shape);
        if (count != values.Length)
        {
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(", ", shape)}] holds {count} elements but {values.Length} values were given.");
        }

        Name = name;
        Shape = shape;
        Values = values;
    }

    public string Name { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>Row-major fp32 values.</summary>
    public float[] Values { get; }

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";

    internal static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                return -1;
            }

            count *= d;
        }

        return count;
    }
}
