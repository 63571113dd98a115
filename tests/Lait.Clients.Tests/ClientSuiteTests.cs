using System.Text.RegularExpressions;
using Xunit;

using Lait.Testing;

namespace Lait.Clients.Tests;

/// <summary>
/// The Python and Node client suites and examples, each run as a child process against one real
/// server; a failure names the suite and carries its output and the server's log.
/// </summary>
public sealed class ClientSuiteTests(ClientsServerFixture fixture) : IClassFixture<ClientsServerFixture>
{
    private static readonly Regex IngestLine = new(@"^([0-9a-f]{64})  (new|already_stored) +(\S.*)$", RegexOptions.Multiline);

    [Fact]
    public async Task PythonClientSuite_PassesWithoutSkips()
    {
        var result = await ClientSuites.RunPythonAsync(fixture, "test_client.py");
        ClientSuites.AssertPassed("Python client suite (clients/python/tests/test_client.py)", result, fixture);
        AssertPythonRanWithoutSkips(result, atLeast: 20);
    }

    [Fact]
    public async Task PythonHardeningSuite_BadInputGetsClearStatuses()
    {
        var result = await ClientSuites.RunPythonAsync(fixture, "test_hardening.py");
        ClientSuites.AssertPassed("Python hardening suite (clients/python/tests/test_hardening.py)", result, fixture);
        AssertPythonRanWithoutSkips(result, atLeast: 4);
    }

    [Fact]
    public async Task PythonExamples_PrintWellFormedIdsVerdictsAndAnswers()
    {
        var result = await ClientSuites.RunPythonAsync(fixture, "test_examples.py");
        ClientSuites.AssertPassed("Python examples suite (clients/python/tests/test_examples.py)", result, fixture);
        AssertPythonRanWithoutSkips(result, atLeast: 3);
    }

    [Fact]
    public async Task NodeClientSuite_PassesWithoutSkips()
    {
        var result = await ClientSuites.RunNodeAsync(fixture, "client.test.ts");
        ClientSuites.AssertPassed("Node client suite (clients/node/test/client.test.ts)", result, fixture);
        AssertNodeRanWithoutSkips(result, atLeast: 20);
    }

    [Fact]
    public async Task NodeExamples_PrintWellFormedIdsVerdictsAndAnswers()
    {
        var result = await ClientSuites.RunNodeAsync(fixture, "examples.test.ts");
        ClientSuites.AssertPassed("Node examples suite (clients/node/test/examples.test.ts)", result, fixture);
        AssertNodeRanWithoutSkips(result, atLeast: 3);
    }

    [Fact]
    public async Task PythonAndNodeIngestExamples_GiveTheSameIdsForTheSameFile()
    {
        await ClientSuites.RequirePythonAsync();
        await ClientSuites.RequireNodeAsync();
        string tag = Guid.NewGuid().ToString("N")[..6];
        string[] sentences = [$"The cat is small {tag}.", $"The dog is big {tag}!", $"Ice is cold {tag}."];
        string file = Path.Combine(Path.GetTempPath(), $"lait-clients-{tag}.txt");
        await File.WriteAllTextAsync(file, $"{sentences[0]} {sentences[1]}\n{sentences[2]}\n");
        try
        {
            var python = await ClientSuites.RunPythonExampleAsync(fixture, "ingest_file.py", file);
            ClientSuites.AssertPassed("clients/python/examples/ingest_file.py", python, fixture);
            var node = await ClientSuites.RunNodeExampleAsync(fixture, "ingest-file.js", file);
            ClientSuites.AssertPassed("clients/node/examples/ingest-file.ts", node, fixture);

            var fromPython = IngestLine.Matches(python.Output);
            var fromNode = IngestLine.Matches(node.Output);
            Assert.Equal(sentences, fromPython.Select(m => m.Groups[3].Value));
            Assert.Equal(sentences, fromNode.Select(m => m.Groups[3].Value));
            Assert.All(fromPython, m => Assert.Equal("new", m.Groups[2].Value));
            Assert.All(fromNode, m => Assert.Equal("already_stored", m.Groups[2].Value));
            Assert.Equal(fromPython.Select(m => m.Groups[1].Value), fromNode.Select(m => m.Groups[1].Value));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static void AssertPythonRanWithoutSkips(ChildProcess.Result result, int atLeast)
    {
        var ran = Regex.Match(result.Output, @"^Ran (\d+) tests?", RegexOptions.Multiline);
        Assert.True(ran.Success, $"no unittest summary in:\n{result.Output}");
        Assert.True(int.Parse(ran.Groups[1].Value) >= atLeast, $"expected at least {atLeast} tests:\n{result.Output}");
        Assert.DoesNotContain("skipped", result.Output);
    }

    private static void AssertNodeRanWithoutSkips(ChildProcess.Result result, int atLeast)
    {
        var pass = Regex.Match(result.Output, @"^ℹ pass (\d+)$", RegexOptions.Multiline);
        Assert.True(pass.Success, $"no node:test summary in:\n{result.Output}");
        Assert.True(int.Parse(pass.Groups[1].Value) >= atLeast, $"expected at least {atLeast} passing tests:\n{result.Output}");
        Assert.Matches(new Regex(@"^ℹ skipped 0$", RegexOptions.Multiline), result.Output);
        Assert.Matches(new Regex(@"^ℹ fail 0$", RegexOptions.Multiline), result.Output);
    }
}
