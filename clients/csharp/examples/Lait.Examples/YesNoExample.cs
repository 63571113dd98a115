using System.Globalization;
using Lait.Client;
using Lait.Client.Conveniences;

namespace Lait.Examples;

/// <summary>Answers a yes/no question over a passage, both sent inline.</summary>
public static class YesNoExample
{
    public static async Task<int> RunAsync(LaitClient client, string question, string passage, string model)
    {
        var answer = await client.AnswerYesNoAsync(question, passage, new CombineOptions { Model = model });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"answer: {(answer.Answer ? "yes" : "no")} p(yes)={answer.YesProbability:0.0000}"));
        return 0;
    }
}
