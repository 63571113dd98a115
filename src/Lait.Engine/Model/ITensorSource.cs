namespace Lait.Engine.Model;

/// <summary>Named fp32 tensors of a checkpoint (row-major), as the checkpoint readers deliver them.</summary>
public interface ITensorSource
{
    bool TryGet(string name, out int[] shape, out float[] values);

    IEnumerable<string> Names { get; }
}

/// <summary>An in-memory <see cref="ITensorSource"/>.</summary>
public sealed class DictionaryTensorSource(IReadOnlyDictionary<string, (int[] Shape, float[] Values)> tensors) : ITensorSource
{
    public IEnumerable<string> Names => tensors.Keys;

    public bool TryGet(string name, out int[] shape, out float[] values)
    {
        if (tensors.TryGetValue(name, out var t))
        {
            (shape, values) = t;
            return true;
        }

        shape = [];
        values = [];
        return false;
    }
}
