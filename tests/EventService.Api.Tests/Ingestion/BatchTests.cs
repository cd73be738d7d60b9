using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class BatchTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task A_batch_with_some_bad_items_stores_the_good_ones_and_reports_each_item()
    {
        using var producer = await ProducerClientAsync();
        var bad = ValidEvent(id: 3);
        bad["event_severity"] = new JsonObject { ["id"] = 7 };
        var batch = new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2, age: TimeSpan.FromHours(2)), bad, ValidEvent(id: 1));

        var response = await PostJsonAsync(producer, batch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(1, body["duplicates"]!.GetValue<int>());
        Assert.Equal(1, body["rejected"]!.GetValue<int>());
        var results = body["results"]!.AsArray();
        Assert.Equal(["accepted", "accepted", "rejected", "duplicate"], results.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal(3, results[2]!["id"]!.GetValue<long>());
        Assert.True(results[2]!["errors"]!.AsObject().ContainsKey("event_severity.id"));
        Assert.Equal(2, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_batch_whose_every_item_is_rejected_returns_422_with_the_results_and_stores_nothing()
    {
        using var producer = await ProducerClientAsync();
        var noType = ValidEvent(id: 1);
        noType.Remove("event_type");
        var noTimestamp = ValidEvent(id: 2);
        noTimestamp.Remove("timestamp");

        var response = await PostJsonAsync(producer, new JsonArray(noType, noTimestamp));

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:batch-rejected");
        Assert.Equal(2, problem["rejected"]!.GetValue<int>());
        var results = problem["results"]!.AsArray();
        Assert.True(results[0]!["errors"]!.AsObject().ContainsKey("event_type.id"));
        Assert.True(results[1]!["errors"]!.AsObject().ContainsKey("timestamp"));
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(2, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_batch_that_fails_in_the_database_leaves_no_rows_behind()
    {
        using var producer = await ProducerClientAsync();
        var boom = ValidEvent(id: 3);
        boom["description"] = "boom";
        var bad = ValidEvent(id: 4);
        bad["event_type"] = new JsonObject { ["id"] = 9999 };
        await Fixture.ExecuteAsync(
            """
            CREATE OR REPLACE FUNCTION test_fail_on_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.description = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_fail_on_boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_fail_on_boom();
            """);
        try
        {
            var response = await PostJsonAsync(producer, new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2), boom, bad));

            await AssertProblemAsync(response, HttpStatusCode.InternalServerError, "urn:eventservice:problem:internal");
            Assert.Equal(0, await CountEventsAsync());
            Assert.Equal(0, await CountQuarantineAsync());
        }
        finally
        {
            await Fixture.ExecuteAsync("DROP TRIGGER test_fail_on_boom ON events; DROP FUNCTION test_fail_on_boom();");
        }
    }

    [Fact]
    public async Task An_empty_array_is_a_400()
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, "[]");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:invalid-body");
    }

    [Fact]
    public async Task More_than_3000_events_in_one_array_is_a_413_and_stores_nothing()
    {
        using var producer = await ProducerClientAsync();
        var batch = new JsonArray();
        for (var i = 0; i < 3001; i++)
        {
            batch.Add(ValidEvent(id: i + 1));
        }

        var response = await PostJsonAsync(producer, batch);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "urn:eventservice:problem:payload-too-large");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Fact]
    public async Task A_batch_of_3000_events_is_taken_whole()
    {
        using var producer = await ProducerClientAsync();
        var batch = new JsonArray();
        for (var i = 0; i < 3000; i++)
        {
            batch.Add(ValidEvent(id: i + 1, age: TimeSpan.FromSeconds(i)));
        }

        var response = await PostJsonAsync(producer, batch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3000, (await ReadJsonAsync(response))["accepted"]!.GetValue<int>());
        Assert.Equal(3000, await CountEventsAsync());
    }
}
