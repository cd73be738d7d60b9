using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Infrastructure;
using EventService.Api.Ingestion;
using EventService.Api.Storage;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>Idempotency-Key on ingest: a retried request is written once and answered as the first time.</summary>
public sealed class IdempotencyKeyTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static Task<HttpResponseMessage> PostKeyedAsync(HttpClient client, string json, params string[] keys)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var key in keys)
        {
            Assert.True(request.Headers.TryAddWithoutValidation("Idempotency-Key", key));
        }

        return client.SendAsync(request);
    }

    /// <summary>What a client sees of an answer: status, Location, replay header, content type and the body's exact text.</summary>
    private static async Task<(HttpStatusCode Status, string? Location, bool Replayed, string? ContentType, string Body)> SeenAsync(HttpResponseMessage response) =>
        (response.StatusCode, response.Headers.Location?.ToString(),
            response.Headers.TryGetValues("Idempotent-Replayed", out var values) && values.Single() == "true",
            response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsStringAsync());

    private async Task<List<(string Scope, string Kind, string Key, int Status, string? Location)>> KeyRowsAsync()
    {
        var rows = new List<(string, string, string, int, string?)>();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT scope, kind, key, status, location FROM idempotency_keys ORDER BY created_at, scope, key", connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return rows;
    }

    private Task<long> ProducerIdAsync(string name) => Fixture.QueryScalarAsync<long>($"SELECT id FROM producers WHERE name = '{name}'");

    [Fact]
    public async Task A_retried_event_without_an_id_and_the_same_key_is_stored_once_and_answered_as_the_first_time()
    {
        using var producer = Fixture.Client(await CreateProducerAsync(name: "retrying"));
        var json = ValidEvent(id: null).ToJsonString();

        var first = await SeenAsync(await PostKeyedAsync(producer, json, "order-4711-try"));
        var retry = await SeenAsync(await PostKeyedAsync(producer, json, "order-4711-try"));

        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.False(first.Replayed);
        Assert.StartsWith("/api/v1/event/", first.Location, StringComparison.Ordinal);
        Assert.Equal("application/json; charset=utf-8", first.ContentType);
        Assert.True(retry.Replayed);
        Assert.Equal(first with { Replayed = true }, retry);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal(
            [($"producer:{await ProducerIdAsync("retrying")}", "idempotency-key", "order-4711-try", 201, first.Location)],
            await KeyRowsAsync());
    }

    [Fact]
    public async Task A_retried_batch_is_stored_and_quarantined_once_and_answered_with_the_same_results()
    {
        using var producer = await ProducerClientAsync();
        var bad = ValidEvent(id: null);
        bad["event_severity"] = new JsonObject { ["id"] = 7 };
        var json = new JsonArray(ValidEvent(id: null), ValidEvent(id: null, age: TimeSpan.FromHours(2)), bad, ValidEvent(id: 42)).ToJsonString();

        var first = await SeenAsync(await PostKeyedAsync(producer, json, "batch-1"));
        var retry = await SeenAsync(await PostKeyedAsync(producer, json, "batch-1"));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        var body = JsonNode.Parse(first.Body)!;
        Assert.Equal(3, body["accepted"]!.GetValue<int>());
        Assert.Equal(1, body["rejected"]!.GetValue<int>());
        Assert.Equal(first with { Replayed = true }, retry);
        Assert.Equal(3, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
        Assert.Equal(200, Assert.Single(await KeyRowsAsync()).Status);
    }

    [Fact]
    public async Task A_rejected_event_is_answered_422_again_and_quarantined_once()
    {
        using var producer = await ProducerClientAsync();
        var bad = ValidEvent(id: null);
        bad["event_type"] = new JsonObject { ["id"] = 9999 };

        var first = await PostKeyedAsync(producer, bad.ToJsonString(), "bad-1");
        var firstBody = await AssertProblemAsync(first, HttpStatusCode.UnprocessableEntity, ProblemTypes.Validation);
        var retry = await PostKeyedAsync(producer, bad.ToJsonString(), "bad-1");

        Assert.Equal((await SeenAsync(first)) with { Replayed = true }, await SeenAsync(retry));
        Assert.NotNull(firstBody["trace_id"]); // the first request's, replayed with the rest of the body
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
        Assert.Equal(422, Assert.Single(await KeyRowsAsync()).Status);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_a_422_and_writes_nothing()
    {
        using var producer = await ProducerClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString(), "k")).StatusCode);
        var other = ValidEvent(id: null);
        other["description"] = "another event";

        var response = await PostKeyedAsync(producer, other.ToJsonString(), "k");
        // The same event with other spacing is another body too: the key names the exact bytes.
        var respaced = await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString().Replace(",", ", ", StringComparison.Ordinal), "k");

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, ProblemTypes.IdempotencyKeyReused);
        Assert.Contains("Idempotency-Key", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertProblemAsync(respaced, HttpStatusCode.UnprocessableEntity, ProblemTypes.IdempotencyKeyReused);
        Assert.False(response.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal(201, Assert.Single(await KeyRowsAsync()).Status);
    }

    [Fact]
    public async Task A_key_belongs_to_its_credential_so_another_producers_or_an_organisations_same_key_is_another_request()
    {
        using var first = Fixture.Client(await CreateProducerAsync(name: "first"));
        using var second = Fixture.Client(await CreateProducerAsync(name: "second"));
        using var organisation = await OrganisationClientAsync(4711);
        var network = ValidEvent(id: null).ToJsonString();
        var api = ValidEvent(id: null, source: 2).ToJsonString();

        var answers = new[]
        {
            await SeenAsync(await PostKeyedAsync(first, network, "shared")),
            await SeenAsync(await PostKeyedAsync(second, network, "shared")),
            await SeenAsync(await PostKeyedAsync(organisation, api, "shared")),
        };

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.All(answers, a => Assert.False(a.Replayed));
        Assert.Equal(3, answers.Select(a => a.Location).Distinct().Count());
        Assert.Equal(3, await CountEventsAsync());
        Assert.Equal(
            ["organisation:4711", $"producer:{await ProducerIdAsync("first")}", $"producer:{await ProducerIdAsync("second")}"],
            (await KeyRowsAsync()).Select(r => r.Scope).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_key_is_replayed_for_24_hours_and_then_forgotten()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent(id: null).ToJsonString();
        var first = await SeenAsync(await PostKeyedAsync(producer, json, "daily"));

        Fixture.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));
        var replayed = await SeenAsync(await PostKeyedAsync(producer, json, "daily"));
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var anew = await SeenAsync(await PostKeyedAsync(producer, json, "daily"));

        Assert.Equal(first with { Replayed = true }, replayed);
        Assert.Equal(HttpStatusCode.Created, anew.Status);
        Assert.False(anew.Replayed);
        Assert.NotEqual(first.Location, anew.Location);
        Assert.Equal(2, await CountEventsAsync());
        // The expired row was taken over by the new request: one row, with the new answer and lifetime.
        var row = Assert.Single(await KeyRowsAsync());
        Assert.Equal(anew.Location, row.Location);
        Assert.Equal(Fixture.Time.GetUtcNow() + TimeSpan.FromHours(24), await Fixture.QueryScalarAsync<DateTime>("SELECT expires_at FROM idempotency_keys"));
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_store_once_and_all_get_the_first_answer()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent(id: null).ToJsonString();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ => await SeenAsync(await PostKeyedAsync(producer, json, "at-once"))));

        var original = Assert.Single(answers, a => !a.Replayed);
        Assert.Equal(HttpStatusCode.Created, original.Status);
        Assert.All(answers, a => Assert.Equal(original with { Replayed = a.Replayed }, a));
        Assert.Equal(1, await CountEventsAsync());
        Assert.Single(await KeyRowsAsync());
    }

    /// <summary>
    /// Holds organisation 4711's row uncommitted, so that the first request for it claims its key and then waits
    /// inside its transaction.
    /// </summary>
    private async Task<NpgsqlTransaction> HoldOrganisationAsync(NpgsqlConnection connection)
    {
        var transaction = await connection.BeginTransactionAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO organisations (id, name, created_at, updated_at) VALUES (4711, 'held', now(), now())", connection, transaction);
        await insert.ExecuteNonQueryAsync();
        return transaction;
    }

    private async Task WaitForLockWaitersAsync(int waiting)
    {
        for (var look = 0; look < 2000; look++)
        {
            if (await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") >= waiting)
            {
                return;
            }

            await Task.Delay(5);
        }

        Assert.Fail($"{waiting} requests never waited for a lock");
    }

    [Fact]
    public async Task A_request_whose_key_is_in_flight_waits_for_the_first_and_replays_its_answer()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent(id: null).ToJsonString();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        var hold = await HoldOrganisationAsync(connection);

        var first = PostKeyedAsync(producer, json, "in-flight");
        await WaitForLockWaitersAsync(1); // the first holds its key and waits for the organisation
        var second = PostKeyedAsync(producer, json, "in-flight");
        await WaitForLockWaitersAsync(2); // the second waits for the first's key
        Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM idempotency_keys")); // nothing committed yet
        await hold.CommitAsync();

        var original = await SeenAsync(await first);
        Assert.Equal(HttpStatusCode.Created, original.Status);
        Assert.Equal(original with { Replayed = true }, await SeenAsync(await second));
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task When_the_first_request_with_a_key_goes_away_before_its_commit_the_waiting_one_writes_instead()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent(id: null).ToJsonString();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        var hold = await HoldOrganisationAsync(connection);
        using var gone = new CancellationTokenSource();

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", "abandoned");
        var first = producer.SendAsync(request, gone.Token);
        await WaitForLockWaitersAsync(1);
        var second = PostKeyedAsync(producer, json, "abandoned");
        await WaitForLockWaitersAsync(2);
        await gone.CancelAsync(); // its transaction rolls back, key and all
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await WaitForLockWaitersAsync(1); // the second now holds the key and waits for the organisation in turn
        await hold.CommitAsync();
        var answer = await SeenAsync(await second);

        Assert.Equal(HttpStatusCode.Created, answer.Status);
        Assert.False(answer.Replayed);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal(answer.Location, Assert.Single(await KeyRowsAsync()).Location);
    }

    [Theory]
    [InlineData(256, 'a')]
    [InlineData(10, '\u0001')]
    [InlineData(10, 'ü')]
    public async Task A_key_longer_than_255_characters_or_not_printable_ascii_is_a_400_and_writes_nothing(int length, char fill)
    {
        using var producer = await ProducerClientAsync();

        var response = await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString(), "k" + new string(fill, length - 1));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, ProblemTypes.InvalidIdempotencyKey);
        Assert.Equal(0, await CountEventsAsync());
        Assert.Empty(await KeyRowsAsync());
    }

    [Fact]
    public async Task Two_keys_on_one_request_are_a_400_and_a_key_of_255_printable_characters_is_taken()
    {
        using var producer = await ProducerClientAsync();
        var longest = string.Concat(Enumerable.Range(0, 255).Select(i => (char)(' ' + 1 + (i % 94))));

        var twice = await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString(), "one", "two");
        var taken = await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString(), longest);

        await AssertProblemAsync(twice, HttpStatusCode.BadRequest, ProblemTypes.InvalidIdempotencyKey);
        Assert.Equal(HttpStatusCode.Created, taken.StatusCode);
        Assert.Equal(longest, Assert.Single(await KeyRowsAsync()).Key);
    }

    [Fact]
    public async Task A_request_refused_before_writing_does_not_use_up_its_key()
    {
        using var producer = await ProducerClientAsync();

        var malformed = await PostKeyedAsync(producer, "{not json", "fixed-later");
        var fixedUp = await PostKeyedAsync(producer, ValidEvent(id: null).ToJsonString(), "fixed-later");

        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, ProblemTypes.MalformedJson);
        Assert.Equal(HttpStatusCode.Created, fixedUp.StatusCode);
        Assert.False(fixedUp.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await CountEventsAsync());
    }

    [Theory]
    [InlineData("BEFORE INSERT ON events")]
    [InlineData("BEFORE UPDATE ON idempotency_keys")]
    public async Task A_write_that_fails_leaves_neither_events_nor_key_and_its_retry_stores_once(string failingStep)
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent(id: null).ToJsonString();
        await Fixture.ExecuteAsync(
            $"""
            CREATE OR REPLACE FUNCTION test_fail_keyed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected failure'; END $$;
            CREATE TRIGGER test_fail_keyed {failingStep} FOR EACH ROW EXECUTE FUNCTION test_fail_keyed();
            """);
        HttpResponseMessage failed;
        try
        {
            failed = await PostKeyedAsync(producer, json, "crash");
        }
        finally
        {
            await Fixture.ExecuteAsync($"DROP TRIGGER test_fail_keyed ON {failingStep.Split(' ')[^1]}; DROP FUNCTION test_fail_keyed();");
        }

        await AssertProblemAsync(failed, HttpStatusCode.InternalServerError, ProblemTypes.Internal);
        Assert.Equal(0, await CountEventsAsync());
        Assert.Empty(await KeyRowsAsync());

        var retry = await PostKeyedAsync(producer, json, "crash");

        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(1, await CountEventsAsync());
        Assert.Single(await KeyRowsAsync());
    }

    [Fact]
    public async Task An_answer_larger_than_a_key_keeps_writes_nothing_and_is_a_413()
    {
        await using var small = Fixture.CreateFactory(new Dictionary<string, string?> { ["Idempotency:MaxAnswerBytes"] = "65536" });
        using var producer = ApiFixture.Client(small, await CreateProducerAsync());
        // About 55 bytes of results per item: 1500 of them are more than 64 KB.
        var json = new JsonArray(Enumerable.Range(0, 1500).Select(_ => (JsonNode)ValidEvent(id: null)).ToArray()).ToJsonString();

        var response = await PostKeyedAsync(producer, json, "big");

        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, ProblemTypes.PayloadTooLarge);
        Assert.Contains("65536", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, await CountEventsAsync());
        Assert.Empty(await KeyRowsAsync());
    }

    [Fact]
    public async Task The_cleanup_deletes_expired_keys_batch_by_batch_and_keeps_the_others()
    {
        using var producer = await ProducerClientAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PostKeyedAsync(producer, ValidEvent(id: i + 1).ToJsonString(), $"old-{i}")).StatusCode);
        }

        Fixture.Time.Advance(TimeSpan.FromHours(12));
        Assert.Equal(HttpStatusCode.Created, (await PostKeyedAsync(producer, ValidEvent(id: 9).ToJsonString(), "young")).StatusCode);
        Fixture.Time.Advance(TimeSpan.FromHours(12));

        var dataSource = Fixture.Factory.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.Equal(2, await IdempotencyKeys.DeleteExpiredAsync(dataSource, Fixture.Time.GetUtcNow(), 2, CancellationToken.None));
        Assert.Equal(1, await Fixture.Factory.Services.GetRequiredService<IdempotencyCleanup>().DeleteExpiredAsync(CancellationToken.None));

        Assert.Equal(["young"], (await KeyRowsAsync()).Select(r => r.Key));
        Assert.Equal(4, await CountEventsAsync());
    }
}
