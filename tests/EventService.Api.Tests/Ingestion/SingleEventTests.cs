using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class SingleEventTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Posting_a_valid_event_returns_201_with_the_stored_event_and_its_location()
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, ValidEvent(id: 351732524384257));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/event/351732524384257", response.Headers.Location?.OriginalString);
        var body = await ReadJsonAsync(response);
        Assert.Equal(351732524384257, body["id"]!.GetValue<long>());
        Assert.Equal("2026-11-20T23:00:00.000Z", body["timestamp"]!.GetValue<string>());
        AssertJsonEqual(JsonNode.Parse("""{"id":1,"description":"Update location"}"""), body["event_type"]);
        AssertJsonEqual(JsonNode.Parse("""{"id":0,"description":"Network"}"""), body["event_source"]);
        AssertJsonEqual(JsonNode.Parse("""{"id":0,"description":"Info"}"""), body["event_severity"]);
        Assert.Null(body["user"]);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task Posting_the_same_event_again_returns_200_with_the_stored_event_and_stores_nothing_new()
    {
        using var producer = await ProducerClientAsync();
        var first = await PostJsonAsync(producer, ValidEvent());
        var changed = ValidEvent();
        changed["description"] = "a redelivery with other text";

        var again = await PostJsonAsync(producer, changed);

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        AssertJsonEqual(await ReadJsonAsync(first), await ReadJsonAsync(again));
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task The_same_id_at_another_timestamp_is_another_event()
    {
        using var producer = await ProducerClientAsync();
        await PostJsonAsync(producer, ValidEvent(age: TimeSpan.FromHours(1)));

        var response = await PostJsonAsync(producer, ValidEvent(age: TimeSpan.FromHours(2)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task An_event_without_id_gets_a_unique_64_bit_id_that_reads_back()
    {
        using var producer = await ProducerClientAsync();

        var first = await ReadJsonAsync(await PostJsonAsync(producer, ValidEvent(id: null)));
        var second = await ReadJsonAsync(await PostJsonAsync(producer, ValidEvent(id: null)));

        var id = first["id"]!.GetValue<long>();
        Assert.True(id >= 8_000_000_000_000_000 && id < 1L << 53, $"assigned id {id}");
        Assert.NotEqual(id, second["id"]!.GetValue<long>());
        using var reader = await OrganisationClientAsync(4711);
        var read = await reader.GetAsync($"/api/v1/event/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task An_invalid_event_returns_422_with_field_errors_by_path_stores_nothing_and_is_quarantined()
    {
        using var producer = await ProducerClientAsync();
        var e = ValidEvent(id: 42);
        e["event_type"] = new JsonObject { ["id"] = 9999 };
        e.Remove("organisation");

        var response = await PostJsonAsync(producer, e);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("event_type.id"), problem.ToJsonString());
        Assert.True(errors.ContainsKey("organisation.id"), problem.ToJsonString());
        Assert.Equal(42, problem["id"]!.GetValue<long>());
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
    }

    [Fact]
    public async Task An_event_older_than_the_retention_period_is_rejected_at_timestamp()
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, ValidEvent(age: TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1)));

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.True(problem["errors"]!.AsObject().ContainsKey("timestamp"));
    }

    [Fact]
    public async Task An_event_more_than_five_minutes_ahead_is_rejected_and_one_just_inside_is_stored()
    {
        using var producer = await ProducerClientAsync();

        var ahead = await PostJsonAsync(producer, ValidEvent(id: 1, age: -TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1)));
        var inside = await PostJsonAsync(producer, ValidEvent(id: 2, age: -TimeSpan.FromMinutes(5)));

        var problem = await AssertProblemAsync(ahead, HttpStatusCode.UnprocessableEntity);
        Assert.True(problem["errors"]!.AsObject().ContainsKey("timestamp"));
        Assert.Equal(HttpStatusCode.Created, inside.StatusCode);
    }

    [Fact]
    public async Task When_the_clock_has_moved_past_the_prepared_partitions_ingest_creates_the_missing_one()
    {
        using var producer = await ProducerClientAsync();
        Fixture.Time.Advance(TimeSpan.FromDays(10));

        var response = await PostJsonAsync(producer, ValidEvent(age: TimeSpan.FromDays(-10) + TimeSpan.FromMinutes(1)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task An_event_with_a_NUL_character_is_rejected_without_reaching_the_database()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent().ToJsonString().Replace("\"Update location\"", "\"bad\\u0000text\"", StringComparison.Ordinal);

        var response = await PostJsonAsync(producer, json);

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_NUL_character_in_a_property_name_is_echoed_safely_and_quarantined()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent().ToJsonString().Replace("\"Vodafone\"", "\"Vodafone\",\"bad\\u0000name\":1", StringComparison.Ordinal);

        var response = await PostJsonAsync(producer, json);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.NotEmpty(problem["errors"]!.AsObject());
        Assert.Equal(1, await CountQuarantineAsync());
    }
}
