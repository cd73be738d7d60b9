using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>An event's identity is its organisation's: a duplicate answer never shows, or hints at, another organisation's event.</summary>
public sealed class PerOrganisationIdentityTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task The_same_id_and_timestamp_in_another_organisation_is_another_event_and_nothing_leaks()
    {
        using var acme = await OrganisationClientAsync(4711);
        using var beta = await OrganisationClientAsync(4712);
        var acmeEvent = AppEvent("acme secret");
        var betaEvent = AppEvent("beta probe");

        var first = await PostJsonAsync(acme, acmeEvent);
        var probe = await PostJsonAsync(beta, betaEvent);
        var again = await PostJsonAsync(acme, AppEvent("acme again"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, probe.StatusCode);
        var probeText = await probe.Content.ReadAsStringAsync();
        Assert.DoesNotContain("acme secret", probeText, StringComparison.Ordinal);
        Assert.Equal(4712, JsonNode.Parse(probeText)!["organisation"]!["id"]!.GetValue<long>());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("acme secret", (await ReadJsonAsync(again))["description"]!.GetValue<string>());
        Assert.Equal("acme secret", (await ReadJsonAsync(await acme.GetAsync("/api/v1/event/500")))["description"]!.GetValue<string>());
        Assert.Equal("beta probe", (await ReadJsonAsync(await beta.GetAsync("/api/v1/event/500")))["description"]!.GetValue<string>());
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task A_batch_with_the_same_id_and_timestamp_for_two_organisations_stores_both()
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, new JsonArray(ValidEvent(id: 7, organisationId: 4711), ValidEvent(id: 7, organisationId: 4712), ValidEvent(id: 7, organisationId: 4711)));

        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(1, body["duplicates"]!.GetValue<int>());
        Assert.Equal(["accepted", "accepted", "duplicate"], body["results"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal(2, await CountEventsAsync());
    }

    private static JsonObject AppEvent(string description)
    {
        var e = ValidEvent(id: 500);
        e.Remove("organisation");
        e.Remove("event_source");
        e.Remove("detail");
        e["event_type"] = new JsonObject { ["id"] = 6 };
        e["description"] = description;
        return e;
    }
}
