using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Quarantine;

public sealed class QuarantineTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Rejected_items_are_listed_newest_first_with_reason_payload_and_paging_headers()
    {
        using var producer = await ProducerClientAsync();
        for (var i = 1; i <= 3; i++)
        {
            var bad = ValidEvent(id: i);
            bad["event_type"] = new JsonObject { ["id"] = 9000 + i };
            await PostJsonAsync(producer, bad);
        }

        using var admin = Fixture.AdminClient();
        var response = await admin.GetAsync("/api/v1/admin/quarantine?per_page=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("3", response.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal("2", response.Headers.GetValues("X-Total-Pages").Single());
        var items = (await ReadJsonAsync(response)).AsArray();
        Assert.Equal(2, items.Count);
        Assert.Equal(3, items[0]!["event_id"]!.GetValue<long>());
        Assert.Equal(2, items[1]!["event_id"]!.GetValue<long>());
        Assert.True(items[0]!["errors"]!.AsObject().ContainsKey("event_type.id"));
        Assert.Equal(9003, JsonNode.Parse(items[0]!["payload"]!.GetValue<string>())!["event_type"]!["id"]!.GetValue<int>());
        Assert.False(items[0]!["payload_truncated"]!.GetValue<bool>());
        Assert.Equal(1, items[0]!["producer_id"]!.GetValue<long>());

        var last = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/quarantine?per_page=2&page=2"));
        Assert.Equal(1, Assert.Single(last.AsArray())!["event_id"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_quarantine_keeps_at_most_the_configured_number_of_items()
    {
        using var producer = await ProducerClientAsync();
        var batch = new JsonArray();
        for (var i = 1; i <= 5; i++)
        {
            var bad = ValidEvent(id: i);
            bad.Remove("organisation");
            batch.Add(bad);
        }

        await PostJsonAsync(producer, batch);

        // The retention job trims the quarantine in every round, the first one at startup.
        using var small = Fixture.CreateFactory(new Dictionary<string, string?> { ["Storage:QuarantineMaxRows"] = "2" });
        await ((EventService.Api.Retention.RetentionJob)small.Services.GetService(typeof(EventService.Api.Retention.RetentionJob))!).FirstRound;

        Assert.Equal(2, await CountQuarantineAsync());
        Assert.Equal(5, await Fixture.QueryScalarAsync<long>("SELECT min(event_id) + 1 FROM quarantine"));
    }
}
