using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class ProducerPermissionTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task A_network_producer_may_not_post_policy_control_events_and_they_are_rejected_per_item()
    {
        using var network = await ProducerClientAsync(sources: [0]);

        var response = await PostJsonAsync(network, new JsonArray(ValidEvent(id: 1, source: 0), ValidEvent(id: 2, source: 1)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await ReadJsonAsync(response))["results"]!.AsArray();
        Assert.Equal("accepted", results[0]!["status"]!.GetValue<string>());
        Assert.Equal("rejected", results[1]!["status"]!.GetValue<string>());
        Assert.True(results[1]!["errors"]!.AsObject().ContainsKey("event_source.id"));
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task A_producer_bound_to_an_organisation_may_not_post_another_organisations_events()
    {
        using var bound = await ProducerClientAsync(organisationId: 4711);

        var own = await PostJsonAsync(bound, ValidEvent(id: 1, organisationId: 4711));
        var foreign = await PostJsonAsync(bound, ValidEvent(id: 2, organisationId: 4712));

        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        var problem = await AssertProblemAsync(foreign, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.True(problem["errors"]!.AsObject().ContainsKey("organisation.id"));
        Assert.Equal(1, await CountEventsAsync());
    }
}
