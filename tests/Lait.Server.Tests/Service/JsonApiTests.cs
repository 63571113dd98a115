using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lait.Protos.V1;
using Lait.Testing;

namespace Lait.Server.Tests.Service;

/// <summary>A server with an API key and its JSON (HTTP/1.1 transcoding) listener on a free port.</summary>
public sealed class JsonServerFixture : IAsyncLifetime
{
    public const string Key = "json-test-key";
    private readonly TempDirectory _dir = new();

    public ServerProcess Server { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        string model = TinyModelWriter.Write(_dir.Sub("tiny-nli"), new TinyModelWriter.Options());
        Server = await ServerProcess.StartAsync(
            ["--model-dir", model, "--store-dir", _dir.Sub("store"), "--codec", "fp32", "--http-port", "0", "--api-key", Key],
            tlsValidation: null, apiKey: Key);
        int port = Server.AnnouncedPort("HTTP");
        Assert.True(port > 0, $"the server did not announce its JSON port:\n{Server.Log}");
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        _dir.Dispose();
    }
}

/// <summary>
/// The JSON API through a plain HTTP/1.1 client (HttpClient, as curl would call it): routes from the
/// google.api.http options of lait.proto, API keys enforced with a JSON 401, errors as JSON with the
/// gRPC status mapped to HTTP.
/// </summary>
public class JsonApiTests(JsonServerFixture fixture) : IClassFixture<JsonServerFixture>
{
    private const string VerifyBody = """
        {"task": "TASK_TYPE_VERIFY_CLAIM",
         "segments": [{"inline": {"text": "The sky is blue."}},
                      {"inline": {"text": "The sky has a blue colour."}},
                      {"inline": {"text": "Grass is green."}}]}
        """;

    private HttpClient NewClient(string? key = JsonServerFixture.Key)
    {
        var http = new HttpClient
        {
            BaseAddress = fixture.BaseAddress,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task CombineOverHttp11ReturnsAVerdictEqualToTheGrpcOne()
    {
        using var http = NewClient();
        using var response = await http.PostAsync("/v1/combine", Json(VerifyBody));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode}: {text}");
        Assert.Equal(new Version(1, 1), response.Version);
        using var json = JsonDocument.Parse(text);
        var verification = json.RootElement.GetProperty("claimVerification");
        string verdict = verification.GetProperty("verdict").GetString()!;
        Assert.Equal(2, verification.GetProperty("evidence").GetArrayLength());

        // The same request through gRPC gives the same verdict.
        var request = new CombineRequest { Task = TaskType.VerifyClaim };
        foreach (string t in new[] { "The sky is blue.", "The sky has a blue colour.", "Grass is green." })
        {
            request.Segments.Add(new SegmentRef { Inline = new SegmentInput { Text = t } });
        }
        var grpc = await fixture.Server.Client.CombineAsync(request);
        Assert.Equal(grpc.ClaimVerification.Verdict, verdict);
    }

    [Fact]
    public async Task ModelsAreListedAndDescribedByGet()
    {
        using var http = NewClient();
        using var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models"));
        string name = models.RootElement.GetProperty("defaultModel").GetString()!;
        using var described = JsonDocument.Parse(await http.GetStringAsync($"/v1/models/{name}"));
        Assert.Equal(name, described.RootElement.GetProperty("name").GetString());
        Assert.Equal(2, described.RootElement.GetProperty("numLayers").GetInt32());
    }

    [Fact]
    public async Task WithoutTheKeyEveryRouteIs401WithAJsonError()
    {
        using var http = NewClient(key: null);
        foreach (var (method, path, body) in new[] { ("POST", "/v1/combine", VerifyBody), ("GET", "/v1/models", ""), ("POST", "/v1/documents:encode", """{"text": "A b."}""") })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (body.Length > 0) request.Content = Json(body);
            using var response = await http.SendAsync(request);
            await AssertJsonError(response, HttpStatusCode.Unauthorized, 16, "missing API key"); // UNAUTHENTICATED
        }

        using var wrong = NewClient(key: "not-the-key");
        using var refused = await wrong.GetAsync("/v1/models");
        await AssertJsonError(refused, HttpStatusCode.Unauthorized, 16, "invalid API key");
    }

    /// <summary>A JSON error body: {"code": gRPC code, "message": ..., "details": []} with the mapped HTTP status.</summary>
    private static async Task AssertJsonError(HttpResponseMessage response, HttpStatusCode http, int grpcCode, string message)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == http, $"{response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var error = JsonDocument.Parse(text);
        Assert.Equal(grpcCode, error.RootElement.GetProperty("code").GetInt32());
        Assert.Contains(message, error.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ABadRequestIs400AndNamesTheProblem()
    {
        using var http = NewClient();
        using var response = await http.PostAsync("/v1/combine", Json("""{"segments": [{"inline": {"text": "x"}}]}"""));
        await AssertJsonError(response, HttpStatusCode.BadRequest, 3, "task is required"); // INVALID_ARGUMENT

        using var unknown = await http.GetAsync("/v1/models/no-such-model");
        await AssertJsonError(unknown, HttpStatusCode.NotFound, 5, "unknown model 'no-such-model'"); // NOT_FOUND
    }

    [Fact]
    public async Task EncodedDocumentSentencesAreCombinedByIdOverJson()
    {
        using var http = NewClient();
        using var encoded = await http.PostAsync("/v1/documents:encode", Json("""{"text": "The sky is blue. Water is wet.", "role": "ROLE_OTHER"}"""));
        string text = await encoded.Content.ReadAsStringAsync();
        Assert.True(encoded.StatusCode == HttpStatusCode.OK, $"{encoded.StatusCode}: {text}");
        using var doc = JsonDocument.Parse(text);
        var ids = doc.RootElement.GetProperty("sentences").EnumerateArray().Select(s => s.GetProperty("segmentId").GetString()!).ToList();
        Assert.Equal(2, ids.Count);

        string body = $$$"""{"task": "TASK_TYPE_VERIFY_CLAIM", "segments": [{"inline": {"text": "The sky is blue."}}, {"segmentId": "{{{ids[0]}}}"}, {"segmentId": "{{{ids[1]}}}"}]}""";
        using var combined = await http.PostAsync("/v1/combine", Json(body));
        using var result = JsonDocument.Parse(await combined.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, combined.StatusCode);
        Assert.Equal(ids, result.RootElement.GetProperty("segmentIds").EnumerateArray().Skip(1).Select(e => e.GetString()!).ToList());
    }
}
