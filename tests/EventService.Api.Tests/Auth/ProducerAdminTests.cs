using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

public sealed class ProducerAdminTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Creating_a_producer_returns_201_with_its_id_and_a_token_shown_once()
    {
        using var admin = Fixture.AdminClient();

        var response = await admin.PostAsJsonAsync("/api/v1/admin/producers", new { name = "core-network", sources = new[] { 0 }, organisation_id = (long?)null });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(1, body["id"]!.GetValue<long>());
        Assert.StartsWith("esp_", body["token"]!.GetValue<string>(), StringComparison.Ordinal);
        var list = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/producers"));
        Assert.Equal("core-network", list[0]!["name"]!.GetValue<string>());
        Assert.Null(list[0]!["token"]);
        var stored = await Fixture.QueryScalarAsync<byte[]>("SELECT token_hash FROM producers WHERE id = 1");
        Assert.Equal(32, stored.Length);
        Assert.DoesNotContain(body["token"]!.GetValue<string>(), Convert.ToBase64String(stored), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"x","sources":[]}""")]
    [InlineData("""{"name":"x","sources":[3]}""")]
    [InlineData("""{"name":"x","sources":[0,0]}""")]
    [InlineData("""{"name":"","sources":[0]}""")]
    [InlineData("""{"sources":[0]}""")]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"name":"bad\u0000name","sources":[0]}""")]
    [InlineData("""{"name":"x","sources":"zero"}""")]
    [InlineData("""not json""")]
    public async Task An_invalid_producer_request_is_a_400_problem_and_creates_nothing(string json)
    {
        using var admin = Fixture.AdminClient();

        var response = await PostJsonAsync(admin, json, "/api/v1/admin/producers");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:validation");
        var errors = problem["errors"]!.AsObject();
        Assert.NotEmpty(errors);
        Assert.DoesNotContain("request", errors.Select(e => e.Key));
        Assert.All(errors, e => Assert.Equal(e.Key, e.Key.ToLowerInvariant()));
        Assert.Null(problem["traceId"]);
        Assert.NotNull(problem["trace_id"]);
        Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM producers"));
    }

    [Fact]
    public async Task Revoking_an_unknown_producer_is_a_404_problem()
    {
        using var admin = Fixture.AdminClient();

        var response = await admin.DeleteAsync("/api/v1/admin/producers/999");

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
    }

    [Fact]
    public async Task The_admin_api_refuses_a_producer_token_with_403_and_no_credential_with_401()
    {
        using var producer = await ProducerClientAsync();
        using var anonymous = Fixture.Client();

        await AssertProblemAsync(await producer.GetAsync("/api/v1/admin/producers"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await anonymous.GetAsync("/api/v1/admin/producers"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await PostJsonAsync(producer, new JsonObject { ["name"] = "x", ["sources"] = new JsonArray(0) }, "/api/v1/admin/producers"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await anonymous.GetAsync("/api/v1/admin/quarantine"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await producer.GetAsync("/api/v1/admin/quarantine"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_producer_request_that_is_not_json_is_a_415_problem()
    {
        using var admin = Fixture.AdminClient();

        var response = await admin.PostAsync("/api/v1/admin/producers", new StringContent("name=x", System.Text.Encoding.UTF8, "text/plain"));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "urn:eventservice:problem:unsupported-media-type");
    }

    [Fact]
    public async Task Without_an_admin_key_the_service_runs_and_its_admin_api_answers_401()
    {
        using var keyless = Fixture.CreateFactory(new Dictionary<string, string?> { ["Admin:ApiKey"] = "" });
        using var client = ApiFixture.Client(keyless, "");

        await AssertProblemAsync(await client.GetAsync("/api/v1/admin/producers"), HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await ApiFixture.Client(keyless, null).GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_admin_key_is_a_401()
    {
        using var wrong = Fixture.Client(Fixture.AdminKey + "x");

        await AssertProblemAsync(await wrong.GetAsync("/api/v1/admin/producers"), HttpStatusCode.Unauthorized);
    }
}
