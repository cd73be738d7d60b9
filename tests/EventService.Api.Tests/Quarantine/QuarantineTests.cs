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

    [Fact]
    public async Task A_poster_over_its_row_bound_keeps_its_newest_items_and_other_posters_keep_all_of_theirs()
    {
        await using var host = Fixture.CreateFactory(new Dictionary<string, string?> { ["Storage:QuarantineMaxRowsPerPoster"] = "3" });
        using var quiet = ApiFixture.Client(host, await CreateProducerAsync(name: "quiet"));
        using var organisation = ApiFixture.Client(host, await AuthenticateAsync((await CreateApplicationTokenAsync(4711)).Secret));
        using var flooder = ApiFixture.Client(host, await CreateProducerAsync(name: "flooder"));
        await PostRejectedAsync(quiet, 1, 2);
        await PostRejectedAsync(organisation, 11, 12);

        await PostRejectedAsync(flooder, 101, 102, 103, 104, 105);
        await PostRejectedAsync(flooder, 106, 107);

        using var admin = Fixture.AdminClient();
        var items = (await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/quarantine"))).AsArray();
        var byPoster = items.Select(i => (Producer: i!["producer_id"]?.GetValue<long>(), Organisation: i["organisation_id"]?.GetValue<long>(), Event: i["event_id"]!.GetValue<long>())).ToList();
        Assert.Equal([107L, 106, 105], byPoster.Where(i => i.Producer == 2).Select(i => i.Event));
        Assert.Equal([2L, 1], byPoster.Where(i => i.Producer == 1).Select(i => i.Event));
        Assert.Equal([12L, 11], byPoster.Where(i => i.Producer is null && i.Organisation == 4711).Select(i => i.Event));
        Assert.Equal(7, items.Count);
        Assert.Equal(7L, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_poster_over_its_byte_bound_keeps_its_newest_items_within_it()
    {
        await using var host = Fixture.CreateFactory(new Dictionary<string, string?> { ["Storage:QuarantineMaxBytesPerPoster"] = "6000" });
        using var quiet = ApiFixture.Client(host, await CreateProducerAsync(name: "quiet"));
        using var flooder = ApiFixture.Client(host, await CreateProducerAsync(name: "flooder"));
        await PostRejectedAsync(quiet, 1);

        // About 2,700 bytes each (the description and the rest of the event, the errors): two fit in 6,000, three do not.
        await PostRejectedAsync(flooder, [201, 202, 203, 204], description: new string('x', 2000));

        Assert.Equal("203,204", await Fixture.QueryScalarAsync<string>(
            "SELECT string_agg(event_id::text, ',' ORDER BY event_id) FROM quarantine WHERE producer_id = 2"));
        var kept = await Fixture.QueryScalarAsync<long>("SELECT sum(size_bytes) FROM quarantine WHERE producer_id = 2");
        Assert.InRange(kept, 4000, 6000);
        Assert.Equal(
            kept,
            await Fixture.QueryScalarAsync<long>("SELECT sum(octet_length(payload) + octet_length(errors::text)) FROM quarantine WHERE producer_id = 2"));
        Assert.Equal(1L, await Fixture.QueryScalarAsync<long>("SELECT event_id FROM quarantine WHERE producer_id = 1"));
    }

    [Fact]
    public async Task A_quarantined_items_errors_keep_at_most_fifty_paths_with_cut_texts_and_say_how_many_were_left_out()
    {
        using var producer = await ProducerClientAsync();
        var bad = ValidEvent(id: 1);
        bad[new string('k', 1000)] = "nul \0 inside";
        for (var i = 0; i < 80; i++)
        {
            bad[$"extra_{i:D2}"] = "nul \0 inside";
        }

        var posted = await PostJsonAsync(producer, bad);
        var problem = await AssertProblemAsync(posted, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");

        using var admin = Fixture.AdminClient();
        var item = (await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/quarantine"))).AsArray().Single()!;
        var errors = item["errors"]!.AsObject();
        Assert.Equal(51, errors.Count);
        Assert.Equal(["31 more errors"], errors["…"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.All(errors, e => Assert.True(e.Key.Length <= 200, e.Key));
        Assert.All(errors, e => Assert.All(e.Value!.AsArray(), m => Assert.True(m!.GetValue<string>().Length <= 200)));
        Assert.True(errors.ContainsKey(new string('k', 199) + "…")); // cut (jsonb keeps no key order)
        Assert.True(errors.ContainsKey("extra_00"));
        Assert.True(errors.ContainsKey("extra_48"));
        Assert.False(errors.ContainsKey("extra_49"));
        // The client's answer names every error; only the stored copy is bounded.
        Assert.Equal(81, problem["errors"]!.AsObject().Count);
    }

    [Fact]
    public void A_paths_messages_beyond_five_are_counted_in_the_marker_and_long_ones_cut_whole_characters()
    {
        var emoji = new string('m', 198) + "\U0001F600" + "tail"; // a surrogate pair across the cut
        var bounded = EventService.Api.Quarantine.QuarantineErrors.Bound(new Dictionary<string, string[]>
        {
            ["detail.items"] = ["a", "b", "c", "d", "e", "f", "g"],
            ["name"] = [emoji],
        });

        Assert.Equal(["a", "b", "c", "d", "e"], bounded["detail.items"]);
        Assert.Equal(new string('m', 198) + "…", Assert.Single(bounded["name"]));
        Assert.Equal(["2 more errors"], bounded["…"]);
    }

    private static async Task PostRejectedAsync(HttpClient client, params long[] ids) => await PostRejectedAsync(client, ids, null);

    /// <summary>Posts items that are rejected (no event type of that id) and checks that every one was.</summary>
    private static async Task PostRejectedAsync(HttpClient client, long[] ids, string? description)
    {
        var batch = new JsonArray();
        foreach (var id in ids)
        {
            var bad = ValidEvent(id);
            bad["event_type"] = new JsonObject { ["id"] = 9999 };
            bad.Remove("organisation");
            if (description is not null)
            {
                bad["description"] = description;
            }

            batch.Add(bad);
        }

        var response = await PostJsonAsync(client, batch);
        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:batch-rejected");
        Assert.Equal(ids.Length, problem["results"]!.AsArray().Count);
    }
}
