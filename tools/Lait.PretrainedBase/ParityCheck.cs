using Lait.Engine.Model;
using Lait.Engine.Tokenization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Lait.PretrainedBase;

/// <summary>
/// Checks a converted folder against the original ONNX file: the engine (P = 0, continuous positions,
/// a stock cross-encoder) and ONNX Runtime must give the same last hidden states for single sentences,
/// sentence pairs (token types 0/1) and a ragged padded batch.
/// </summary>
public static class ParityCheck
{
    private static readonly (string First, string? Other)[] Inputs =
    [
        ("Water is wet.", null),
        ("A man is sleeping in his bed at night.", "A man is awake."),
        ("Mount Everest is the highest mountain on Earth.", "Mount Everest is the lowest mountain."),
        ("The quick brown fox jumps over the lazy dog, twice; café, naïve, 42°C.", "Nothing happened."),
    ];

    public static double MaxDifference(string onnxPath, string modelDir, TextWriter log)
    {
        using LaitModel model = LaitModel.Load(modelDir, new EngineOptions { Threads = 1 });
        ITokenizer tokenizer = model.Tokenizer ?? throw new InvalidOperationException("converted folder has no vocab.txt");
        using var session = new InferenceSession(onnxPath);
        string output = session.OutputMetadata.First(o => o.Value.Dimensions.Length == 3).Key;

        var sequences = new List<List<Segment>>();
        foreach (var (first, other) in Inputs)
        {
            TextSegment a = model.Tokenize(first, SegmentRole.First);
            var segments = new List<Segment> { a.Segment };
            if (other is not null)
            {
                segments.Add(model.Tokenize(other, SegmentRole.Other, positionStart: a.Segment.TokenIds.Length).Segment);
            }

            sequences.Add(segments);
        }

        JointOutput[] ours = model.Encode(sequences);
        int maxLen = sequences.Max(s => s.Sum(x => x.TokenIds.Length));
        int batch = sequences.Count;
        var ids = new DenseTensor<long>([batch, maxLen]);
        var mask = new DenseTensor<long>([batch, maxLen]);
        var types = new DenseTensor<long>([batch, maxLen]);
        for (int b = 0; b < batch; b++)
        {
            int t = 0;
            foreach (Segment s in sequences[b])
            {
                foreach (int id in s.TokenIds)
                {
                    ids[b, t] = id;
                    mask[b, t] = 1;
                    types[b, t] = s.Role == SegmentRole.First ? 0 : 1;
                    t++;
                }
            }
        }

        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
            NamedOnnxValue.CreateFromTensor("token_type_ids", types),
        };
        using var results = session.Run(feeds, [output]);
        Tensor<float> reference = results[0].AsTensor<float>();

        double worst = 0;
        for (int b = 0; b < batch; b++)
        {
            double seqWorst = 0;
            for (int t = 0; t < ours[b].TokenCount; t++)
            {
                ReadOnlySpan<float> row = ours[b].Row(t);
                for (int h = 0; h < row.Length; h++)
                {
                    seqWorst = Math.Max(seqWorst, Math.Abs(row[h] - reference[b, t, h]));
                }
            }

            log.WriteLine($"  sequence {b} ({ours[b].TokenCount} tokens, padded to {maxLen}): max |engine - ONNX Runtime| = {seqWorst:E2}");
            worst = Math.Max(worst, seqWorst);
        }

        return worst;
    }
}
