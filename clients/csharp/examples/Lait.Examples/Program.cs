// Examples of the C# client's conveniences. The server address comes from LAIT_ADDRESS
// (default http://127.0.0.1:50051) and an optional API key from LAIT_API_KEY.
//
//   Lait.Examples ingest FILE                     stream the sentences of FILE in, print one id per sentence
//   Lait.Examples verify CLAIM EVIDENCE_FILE      store the evidence sentences, then verify CLAIM against them
//   Lait.Examples ask QUESTION PASSAGE [MODEL]    answer a yes/no question over a passage
using Lait.Client;
using Lait.Examples;
using Grpc.Core;

string address = Environment.GetEnvironmentVariable("LAIT_ADDRESS") is { Length: > 0 } a ? a : "http://127.0.0.1:50051";
var options = new LaitChannelOptions { ApiKey = Environment.GetEnvironmentVariable("LAIT_API_KEY") is { Length: > 0 } k ? k : null };
using var channel = LaitChannel.ForAddress(address, options);
var client = new LaitClient(channel);

try
{
    return args switch
    {
        ["ingest", string file] => await IngestFileExample.RunAsync(client, file),
        ["verify", string claim, string evidenceFile] => await CheckClaimExample.RunAsync(client, claim, evidenceFile),
        ["ask", string question, string passage] => await YesNoExample.RunAsync(client, question, passage, ""),
        ["ask", string question, string passage, string model] => await YesNoExample.RunAsync(client, question, passage, model),
        _ => Usage(),
    };
}
catch (RpcException ex)
{
    Console.Error.WriteLine($"error: {ex.StatusCode}: {ex.Status.Detail}");
    return 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Lait.Examples ingest FILE | verify CLAIM EVIDENCE_FILE | ask QUESTION PASSAGE [MODEL]");
    return 2;
}
