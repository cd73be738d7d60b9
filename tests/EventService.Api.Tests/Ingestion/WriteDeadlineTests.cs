using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Infrastructure;
using EventService.Api.Storage.Events;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// A slow or stuck database: the write queue is bounded in events and bytes, a request the writer has not taken by
/// its deadline answers 503 and is not written, one it has taken waits for its commit, and the commit's statement has
/// a short timeout of its own. The writer is held by a lock the test takes on <c>organisations</c> (every write of
/// events inserts into it first), and the deadline is reached by moving the test clock.
/// </summary>
public sealed class WriteDeadlineTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private WebApplicationFactory<Program> Host(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["Ingestion:RequestTimeout"] = "00:00:10",
            ["Retention:Enabled"] = "false",
            // The write's own timeout is a real timer: long enough that only the test clock decides, unless a test sets it.
            ["Storage:WriteCommandTimeout"] = "00:00:30",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var host = Fixture.CreateFactory(all);
        _ = host.Server;
        return host;
    }

    /// <summary>Holds every write of events until disposed: the writer's insert into organisations waits for this lock.</summary>
    private Task<NpgsqlConnection> HoldWritesAsync() => HoldAsync("LOCK TABLE organisations IN SHARE ROW EXCLUSIVE MODE");

    /// <summary>Takes <paramref name="lockStatement"/> in a transaction that stays open until the connection is disposed.</summary>
    private async Task<NpgsqlConnection> HoldAsync(string lockStatement)
    {
        var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; " + lockStatement, connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>Waits (for a condition, not for time) until a writer's statement is blocked on the test's lock.</summary>
    private async Task UntilAWriterWaitsAsync()
    {
        await Until(async () => await Fixture.QueryScalarAsync<long>(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO organisations%'") > 0,
            "no writer blocked on the lock");
    }

    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), what);
            await Task.Delay(20);
        }
    }

    private static JsonObject Described(long id, string description)
    {
        var e = ValidEvent(id: id);
        e["description"] = description;
        return e;
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var problem = await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, ProblemTypes.WriteRefused);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "no Retry-After");
        Assert.Contains("nothing", problem["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_request_no_writer_took_by_its_deadline_answers_503_and_is_not_written_while_the_taken_one_waits_for_its_commit()
    {
        await using var host = Host();
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        var writer = host.Services.GetRequiredService<GroupCommitWriter>();
        await using var held = await HoldWritesAsync();

        var taken = PostJsonAsync(producer, Described(1, "taken"));
        await UntilAWriterWaitsAsync();
        var waiting = PostJsonAsync(producer, Described(2, "waiting"));
        await Until(() => Task.FromResult(writer.RequestsQueued == 1), "the second request did not reach the queue");

        Fixture.Time.Advance(RequestTimeout);

        await AssertRefusedAsync(await waiting);
        Assert.False(taken.IsCompleted, "the taken request must wait for its commit, not for its deadline");
        Assert.Equal(2, writer.EventsAdmitted); // the refused one's events are still queued: still charged
        await held.DisposeAsync(); // rolls the lock back: the writer's commit goes through
        Assert.Equal(HttpStatusCode.Created, (await taken).StatusCode);
        Assert.Equal(1, await CountEventsAsync());
        Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE description = 'waiting'"));
        // The refused request's charge is freed once the writer has passed it in the queue, not before.
        await Until(() => Task.FromResult(writer.EventsAdmitted == 0 && writer.RequestsQueued == 0), "the budgets were not freed");
    }

    [Fact]
    public async Task A_request_that_finds_the_event_budget_full_waits_for_room_until_its_deadline_and_beyond_the_waiting_room_is_refused_at_once()
    {
        await using var host = Host(("Storage:WriteQueueMaxEvents", "3"));
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        var writer = host.Services.GetRequiredService<GroupCommitWriter>();
        await using var held = await HoldWritesAsync();

        var taken = PostJsonAsync(producer, Described(1, "taken")); // 1 of 3
        await UntilAWriterWaitsAsync();
        var big = PostJsonAsync(producer, new JsonArray(Described(10, "big"), Described(11, "big"), Described(12, "big"))); // needs 3
        await Until(() => Task.FromResult(writer.EventsWaitingForRoom == 3), "the batch is not waiting for room");

        // The waiting room holds as many events as the budget: one more is refused at once, without any clock moved.
        await AssertRefusedAsync(await PostJsonAsync(producer, Described(3, "no room")));

        Fixture.Time.Advance(RequestTimeout);
        await AssertRefusedAsync(await big);
        await held.DisposeAsync();
        Assert.Equal(HttpStatusCode.Created, (await taken).StatusCode);
        Assert.Equal(1, await CountEventsAsync());

        // Room again: the same batch now goes through.
        Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(producer, new JsonArray(Described(10, "big"), Described(11, "big"), Described(12, "big")))).StatusCode);
        Assert.Equal(4, await CountEventsAsync());
    }

    [Fact]
    public async Task A_request_that_finds_the_byte_budget_full_waits_for_room_and_answers_503_at_its_deadline()
    {
        await using var host = Host(("Storage:WriteQueueMaxBytes", "1024"));
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        var writer = host.Services.GetRequiredService<GroupCommitWriter>();
        await using var held = await HoldWritesAsync();

        var taken = PostJsonAsync(producer, Described(1, "taken")); // a few hundred bytes of the 1024
        await UntilAWriterWaitsAsync();
        var large = PostJsonAsync(producer, Described(2, new string('x', 900)));
        await Until(() => Task.FromResult(writer.EventsWaitingForRoom == 0 && writer.EventsAdmitted == 2), "the large event was not admitted by events");

        Fixture.Time.Advance(RequestTimeout);

        await AssertRefusedAsync(await large);
        await held.DisposeAsync();
        Assert.Equal(HttpStatusCode.Created, (await taken).StatusCode);
        Assert.Equal(1, await CountEventsAsync());
        await Until(() => Task.FromResult(writer.EventsAdmitted == 0), "the budgets were not freed");
    }

    [Fact]
    public async Task A_keyed_request_waits_for_a_turn_among_the_writes_alone_and_answers_503_at_its_deadline()
    {
        await using var host = Host(("Storage:MaxWritesAlone", "1"));
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        var writer = host.Services.GetRequiredService<GroupCommitWriter>();
        await using var held = await HoldWritesAsync();

        var taken = PostKeyedAsync(producer, Described(1, "taken"), "key-1");
        await UntilAWriterWaitsAsync();
        var waiting = PostKeyedAsync(producer, Described(2, "waiting"), "key-2");
        await Until(() => Task.FromResult(writer.WritesAloneWaiting == 1), "the keyed request is not waiting for a turn");

        Fixture.Time.Advance(RequestTimeout);

        await AssertRefusedAsync(await waiting);
        await held.DisposeAsync();
        Assert.Equal(HttpStatusCode.Created, (await taken).StatusCode);
        Assert.Equal(1, await CountEventsAsync());
        // The refused request did not use up its key: its retry is written.
        Assert.Equal(HttpStatusCode.Created, (await PostKeyedAsync(producer, Described(2, "waiting"), "key-2")).StatusCode);
        Assert.Equal(2, await CountEventsAsync());
    }

    private static Task<HttpResponseMessage> PostKeyedAsync(HttpClient client, JsonNode json, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event")
        {
            Content = new StringContent(json.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task The_write_statement_times_out_after_WriteCommandTimeout_with_a_503_and_nothing_written()
    {
        // One second, not the 30 s migrations and the purge get: PostgreSQL's real timer, not the test clock.
        await using var host = Host(("Storage:WriteCommandTimeout", "00:00:01"));
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        await using (await HoldWritesAsync())
        {
            var watch = Stopwatch.StartNew();
            var response = await PostJsonAsync(producer, Described(1, "timed out"));

            await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, ProblemTypes.DatabaseUnavailable);
            Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "no Retry-After");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}: the 30 s command timeout, not the write's");
        }

        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, Described(1, "timed out"))).StatusCode);
    }
    [Fact]
    public async Task A_producer_tokens_lookup_on_a_stuck_database_answers_503_within_the_connect_timeout()
    {
        await using var host = Host(("Storage:ConnectTimeout", "00:00:01"));
        using var producer = ApiFixture.Client(host, await CreateProducerAsync()); // not in this host's cache yet
        await using var held = await HoldAsync("LOCK TABLE producers IN ACCESS EXCLUSIVE MODE");

        var watch = Stopwatch.StartNew();
        var response = await PostJsonAsync(producer, Described(1, "stuck lookup"));

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, ProblemTypes.DatabaseUnavailable);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}: the 30 s command timeout, not the connect timeout");
        await held.DisposeAsync();
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, Described(1, "stuck lookup"))).StatusCode);
    }

    [Fact]
    public async Task Readiness_on_a_stuck_database_answers_503_within_the_connect_timeout()
    {
        await using var host = Host(("Storage:ConnectTimeout", "00:00:01"), ("Health:ReadyCacheDuration", "00:00:00"));
        using var anonymous = ApiFixture.Client(host, null);
        await using var held = await HoldAsync("""LOCK TABLE "__EFMigrationsHistory" IN ACCESS EXCLUSIVE MODE""");

        var watch = Stopwatch.StartNew();
        var ready = await anonymous.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}: the 30 s command timeout, not the connect timeout");
        await held.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
    }
}
