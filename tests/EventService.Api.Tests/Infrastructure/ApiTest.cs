using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>Base of the integration tests: empty tables and the start clock before each test, logs to its output.</summary>
[Collection(ApiCollection.Name)]
public abstract class ApiTest(ApiFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    protected ApiFixture Fixture { get; } = fixture;

    public virtual async Task InitializeAsync()
    {
        TestOutputLoggerProvider.Current = output;
        await Fixture.ResetAsync();
    }

    public virtual Task DisposeAsync()
    {
        TestOutputLoggerProvider.Current = null;
        return Task.CompletedTask;
    }

    /// <summary>Creates a producer credential through the admin API and returns its token.</summary>
    protected async Task<string> CreateProducerAsync(short[]? sources = null, long? organisationId = null, string name = "test-producer")
    {
        using var admin = Fixture.AdminClient();
        var response = await admin.PostAsJsonAsync("/api/v1/admin/producers", new { name, sources = sources ?? new short[] { 0, 1, 2 }, organisation_id = organisationId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return body!["token"]!.GetValue<string>();
    }

    /// <summary>Creates (or renames) an organisation and an application token for it; returns the token's id and secret.</summary>
    protected async Task<(long Id, string Secret)> CreateApplicationTokenAsync(long organisationId, string? name = null)
    {
        using var admin = Fixture.AdminClient();
        var organisation = await admin.PostAsJsonAsync("/api/v1/admin/organisations", new { id = organisationId, name = name ?? $"org-{organisationId}" });
        Assert.True(organisation.IsSuccessStatusCode, await organisation.Content.ReadAsStringAsync());
        var response = await admin.PostAsJsonAsync($"/api/v1/admin/organisations/{organisationId}/application_tokens", new { description = "tests" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (body!["id"]!.GetValue<long>(), body["application_token"]!.GetValue<string>());
    }

    protected async Task<string> AuthenticateAsync(string applicationToken)
    {
        using var anonymous = Fixture.Client();
        var response = await anonymous.PostAsJsonAsync("/api/v1/authenticate", new { application_token = applicationToken });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["auth_token"]!.GetValue<string>();
    }

    /// <summary>A client holding an auth token (JWT) of the organisation, as emnify's SDK would after authenticating.</summary>
    protected async Task<HttpClient> OrganisationClientAsync(long organisationId = 4711, string? name = null)
    {
        var (_, secret) = await CreateApplicationTokenAsync(organisationId, name);
        return Fixture.Client(await AuthenticateAsync(secret));
    }

    protected async Task<HttpClient> ProducerClientAsync(short[]? sources = null, long? organisationId = null) =>
        Fixture.Client(await CreateProducerAsync(sources, organisationId));

    protected static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string json, string path = "/api/v1/event") =>
        client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    protected static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, JsonNode json, string path = "/api/v1/event") =>
        PostJsonAsync(client, json.ToJsonString(), path);

    protected static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>Asserts an RFC 9457 body of the given status and type, and returns it.</summary>
    protected static async Task<JsonObject> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? type = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        if (type is not null)
        {
            Assert.Equal(type, problem["type"]!.GetValue<string>());
        }

        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal); // no stack trace on the wire
        return problem;
    }

    protected static JsonArray SampleBatch() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "data-streamer-batch.json")))!.AsArray();

    /// <summary>A valid Network event of the given organisation at the fixture's start clock minus <paramref name="age"/>.</summary>
    protected static JsonObject ValidEvent(long? id = 1001, long organisationId = 4711, TimeSpan? age = null, int typeId = 1, int source = 0)
    {
        var timestamp = ApiFixture.Start - (age ?? TimeSpan.FromHours(1));
        var e = new JsonObject
        {
            ["timestamp"] = timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            ["alert"] = false,
            ["description"] = "Update location",
            ["event_type"] = new JsonObject { ["id"] = typeId, ["description"] = "Update location" },
            ["event_source"] = new JsonObject { ["id"] = source, ["description"] = "Network" },
            ["event_severity"] = new JsonObject { ["id"] = 0, ["description"] = "Info" },
            ["organisation"] = new JsonObject { ["id"] = organisationId, ["name"] = "Acme Fleet" },
            ["endpoint"] = new JsonObject { ["id"] = 90001, ["name"] = "truck-017", ["ip_address"] = "100.64.12.7", ["tags"] = "fleet", ["imei"] = "356938035643809" },
            ["sim"] = new JsonObject { ["id"] = 700001, ["iccid"] = "8988303000000012345" },
            ["imsi"] = new JsonObject { ["id"] = 800001, ["imsi"] = "901430000012345" },
            ["detail"] = new JsonObject { ["id"] = 3, ["name"] = "Vodafone" },
        };
        if (id is not null)
        {
            e["id"] = id;
        }

        return e;
    }

    protected Task<long> CountEventsAsync() => Fixture.QueryScalarAsync<long>("SELECT count(*) FROM events");

    protected Task<long> CountQuarantineAsync() => Fixture.QueryScalarAsync<long>("SELECT count(*) FROM quarantine");

    protected static void AssertJsonEqual(JsonNode? expected, JsonNode? actual) =>
        Assert.True(JsonNode.DeepEquals(expected, actual), $"Expected {expected?.ToJsonString()} but got {actual?.ToJsonString()}");

}
