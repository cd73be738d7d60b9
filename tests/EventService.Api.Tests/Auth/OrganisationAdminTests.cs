using System.Net;
using System.Net.Http.Json;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

public sealed class OrganisationAdminTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Creating_an_organisation_is_a_201_and_again_a_200_that_renames_it()
    {
        using var admin = Fixture.AdminClient();

        var created = await admin.PostAsJsonAsync("/api/v1/admin/organisations", new { id = 4711, name = "Acme Fleet" });
        var renamed = await admin.PostAsJsonAsync("/api/v1/admin/organisations", new { id = 4711, name = "Acme Fleet GmbH" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("Acme Fleet", (await ReadJsonAsync(created))["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Acme Fleet GmbH", await Fixture.QueryScalarAsync<string>("SELECT name FROM organisations WHERE id = 4711"));
    }

    [Theory]
    [InlineData("""{"name":"x"}""")]
    [InlineData("""{"id":0,"name":"x"}""")]
    [InlineData("""{"id":1}""")]
    [InlineData("""{"id":1,"name":"bad\u0000name"}""")]
    public async Task An_invalid_organisation_is_a_400_and_creates_nothing(string body)
    {
        using var admin = Fixture.AdminClient();

        await AssertProblemAsync(await PostJsonAsync(admin, body, "/api/v1/admin/organisations"), HttpStatusCode.BadRequest);
        Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM organisations"));
    }

    [Fact]
    public async Task An_application_token_is_shown_once_and_stored_as_a_hash()
    {
        var (id, secret) = await CreateApplicationTokenAsync(4711);

        Assert.StartsWith("est_", secret, StringComparison.Ordinal);
        var hash = await Fixture.QueryScalarAsync<byte[]>($"SELECT token_hash FROM application_tokens WHERE id = {id}");
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret)), hash);
    }

    [Fact]
    public async Task An_application_token_for_an_unknown_organisation_is_a_404()
    {
        using var admin = Fixture.AdminClient();

        var response = await admin.PostAsJsonAsync("/api/v1/admin/organisations/999/application_tokens", new { description = "x" });

        await AssertProblemAsync(response, HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
    }

    [Fact]
    public async Task Revoking_an_unknown_application_token_is_a_404()
    {
        using var admin = Fixture.AdminClient();

        await AssertProblemAsync(await admin.DeleteAsync("/api/v1/admin/application_tokens/999"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_accepted_event_creates_its_organisation_and_a_newer_one_keeps_its_name_current()
    {
        using var producer = await ProducerClientAsync();
        var first = ValidEvent(id: 1, organisationId: 5000, age: TimeSpan.FromHours(2));
        first["organisation"]!["name"] = "New Org";
        var newer = ValidEvent(id: 2, organisationId: 5000, age: TimeSpan.FromHours(1));
        newer["organisation"]!["name"] = "Renamed Org";
        var older = ValidEvent(id: 3, organisationId: 5000, age: TimeSpan.FromHours(3));
        older["organisation"]!["name"] = "Ancient Name";

        await PostJsonAsync(producer, first);
        Assert.Equal("New Org", await Fixture.QueryScalarAsync<string>("SELECT name FROM organisations WHERE id = 5000"));
        await PostJsonAsync(producer, new System.Text.Json.Nodes.JsonArray(older, newer));

        Assert.Equal("Renamed Org", await Fixture.QueryScalarAsync<string>("SELECT name FROM organisations WHERE id = 5000"));
        var (_, secret) = await CreateApplicationTokenAsync(5000, "Renamed Org");
        using var reader = Fixture.Client(await AuthenticateAsync(secret));
        Assert.Equal(3, (await ReadJsonAsync(await reader.GetAsync("/api/v1/event"))).AsArray().Count);
    }
}
