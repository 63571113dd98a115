namespace Lait.PretrainedBase;

/// <summary>
/// Turns the initializers of a PyTorch-exported BERT ONNX graph into a Hugging Face BertModel state
/// dict. Embeddings, biases and LayerNorms keep their HF names in the export; the Linear weights
/// were folded into MatMul nodes under numbered names and stored [in, out]. Each such weight is named
/// through the graph: its MatMul's output feeds an Add whose other input is the layer's named bias
/// ("X.bias"), so the weight is "X.weight", transposed to HF's [out, in].
/// </summary>
public static class BertOnnxConverter
{
    public static List<(string Name, int[] Shape, float[] Values)> ToHuggingFace(OnnxModelReader onnx)
    {
        var consumers = new Dictionary<string, List<OnnxNode>>(StringComparer.Ordinal);
        foreach (OnnxNode node in onnx.Nodes)
        {
            foreach (string input in node.Inputs)
            {
                if (!consumers.TryGetValue(input, out var list))
                {
                    consumers[input] = list = [];
                }

                list.Add(node);
            }
        }

        var result = new List<(string, int[], float[])>();
        var unnamed = new List<string>();
        foreach (OnnxTensor t in onnx.Initializers.Values)
        {
            if (IsHuggingFaceName(t.Name))
            {
                result.Add((t.Name, t.Shape, t.Values));
                continue;
            }

            if (t.Shape.Length != 2)
            {
                continue; // scalar constants of the exported graph (scales, shapes), not weights
            }

            string? weightName = NameThroughGraph(t.Name, consumers, onnx);
            if (weightName is null)
            {
                unnamed.Add($"{t.Name} [{string.Join(",", t.Shape)}]");
                continue;
            }

            result.Add((weightName, [t.Shape[1], t.Shape[0]], Transpose(t.Values, t.Shape[0], t.Shape[1])));
        }

        if (unnamed.Count > 0)
        {
            throw new InvalidDataException($"Could not name {unnamed.Count} matrix initializer(s) through the graph: {string.Join(", ", unnamed)}.");
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Item1, b.Item1));
        return result;
    }

    private static bool IsHuggingFaceName(string name) =>
        name.StartsWith("embeddings.", StringComparison.Ordinal) || name.StartsWith("encoder.", StringComparison.Ordinal)
        || name.StartsWith("pooler.", StringComparison.Ordinal);

    private static string? NameThroughGraph(string initializer, Dictionary<string, List<OnnxNode>> consumers, OnnxModelReader onnx)
    {
        if (!consumers.TryGetValue(initializer, out var readers))
        {
            return null;
        }

        foreach (OnnxNode matMul in readers)
        {
            if (matMul.OpType != "MatMul" || matMul.Inputs.Count != 2 || matMul.Inputs[1] != initializer
                || !consumers.TryGetValue(matMul.Outputs[0], out var next))
            {
                continue;
            }

            foreach (OnnxNode add in next)
            {
                if (add.OpType != "Add")
                {
                    continue;
                }

                foreach (string other in add.Inputs)
                {
                    if (other.EndsWith(".bias", StringComparison.Ordinal) && onnx.Initializers.ContainsKey(other))
                    {
                        return other[..^".bias".Length] + ".weight";
                    }
                }
            }
        }

        return null;
    }

    private static float[] Transpose(float[] values, int rows, int cols)
    {
        var t = new float[values.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                t[(c * rows) + r] = values[(r * cols) + c];
            }
        }

        return t;
    }
}
