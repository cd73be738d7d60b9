using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class ApplicationTokenIngestTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task An_organisation_posts_events_stored_with_source_api_and_its_own_organisation()
    {
        using var client = await OrganisationClientAsync(4711);
        var e = ValidEvent(id: 55);
        e.Remove("organisation");
        e.Remove("event_source");
        e["event_type"] = new JsonObject { ["id"] = 6 };
        e.Remove("detail");

        var response = await PostJsonAsync(client, e);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body["event_source"]!["id"]!.GetValue<int>());
        Assert.Equal(4711, body["organisation"]!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/event/55")).StatusCode);
        Assert.Equal(4711, await Fixture.QueryScalarAsync<long>("SELECT organisation_id FROM events WHERE id = 55"));
    }

    [Fact]
    public async Task An_organisation_may_not_post_another_organisations_events_or_another_source()
    {
        using var client = await OrganisationClientAsync(4711);
        var foreign = ValidEvent(id: 1, organisationId: 4712, source: 2);
        var network = ValidEvent(id: 2, organisationId: 4711, source: 0);

        var results = (await ReadJsonAsync(await PostJsonAsync(client, new JsonArray(foreign, network))));

        Assert.Equal(2, results["rejected"]!.GetValue<int>());
        Assert.True(results["results"]![0]!["errors"]!.AsObject().ContainsKey("organisation.id"));
        Assert.True(results["results"]![1]!["errors"]!.AsObject().ContainsKey("event_source.id"));
        Assert.Equal(0, await CountEventsAsync());
    }
}
