using System.Text;
using Lait.Engine.Tokenization;
using Xunit.Sdk;

namespace Lait.Engine.Tests.Tokenization;

internal static class GoldenAssert
{
    /// <summary>Ids and offsets must match exactly; the failure names the text, the first differing token and both sides.</summary>
    public static void Matches(string label, string text, int[] ids, int[][] offsets, IReadOnlyList<TokenSpan> actual, Vocabulary vocabulary)
    {
        int n = Math.Max(ids.Length, actual.Count);
        for (int i = 0; i < n; i++)
        {
            bool same = i < ids.Length && i < actual.Count
                && ids[i] == actual[i].Id && offsets[i][0] == actual[i].Start && offsets[i][1] == actual[i].End;
            if (!same)
            {
                throw new XunitException(
                    $"{label}: token {i} differs for text {Escape(text)}\n" +
                    $"expected: {Describe(ids, offsets, vocabulary)}\n" +
                    $"actual:   {Describe(actual.Select(t => t.Id).ToArray(), actual.Select(t => new[] { t.Start, t.End }).ToArray(), vocabulary)}");
            }
        }
    }

    private static string Describe(int[] ids, int[][] offsets, Vocabulary vocabulary) =>
        string.Join(" ", ids.Select((id, i) => $"{vocabulary[id] ?? "?"}({id})[{offsets[i][0]},{offsets[i][1]})"));

    private static string Escape(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text.Length > 200 ? text[..200] : text)
        {
            sb.Append(c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return sb.Append('"').ToString();
    }
}
