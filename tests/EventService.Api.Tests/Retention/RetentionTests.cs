using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Retention;

public sealed class RetentionTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly DateTimeOffset Start = ApiFixture.Start;

    private RetentionJob Job => Fixture.Factory.Services.GetRequiredService<RetentionJob>();

    [Fact]
    public async Task The_cutoff_holds_to_the_second()
    {
        using var producer = await ProducerClientAsync();
        var cutoff = Start.AddHours(10);
        Fixture.Time.Advance(TimeSpan.FromHours(12));
        var posted = await PostJsonAsync(producer, new JsonArray(
            EventAt(1, cutoff.AddMinutes(1)),   // 29 d 23 h 59 m old after the move
            EventAt(2, cutoff.AddMinutes(-1)),  // 30 d 0 h 1 m old
            EventAt(3, cutoff),                 // exactly 30 d old: not older than the cutoff
            EventAt(4, cutoff.AddSeconds(-1))));
        Assert.Equal(4, (await ReadJsonAsync(posted))["accepted"]!.GetValue<int>());

        MoveClockTo(cutoff + TimeSpan.FromDays(30));
        var run = await RoundAsync();

        Assert.Null(run.Error);
        Assert.False(run.Skipped);
        Assert.Equal(cutoff, run.Cutoff);
        Assert.Equal(2, run.RowsDeleted);
        Assert.Equal(HttpStatusCode.OK, await ReadStatusAsync(1));
        Assert.Equal(HttpStatusCode.OK, await ReadStatusAsync(3));
        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(2));
        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(4));
    }

    [Fact]
    public async Task Partitions_wholly_older_than_the_cutoff_are_dropped()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(10, Start.AddDays(-20).AddHours(1))); // in events_p20261101
        await PostAcceptedAsync(producer, EventAt(11, Start.AddHours(-1)));

        Fixture.Time.Advance(TimeSpan.FromDays(11)); // cutoff 2026-11-02T00:00Z: 2026-10-22 to 2026-11-01 lie before it
        var run = await RoundAsync();

        Assert.Null(run.Error);
        Assert.Equal(11, run.PartitionsDropped);
        Assert.Equal(0, run.RowsDeleted);
        var partitions = await PartitionsAsync();
        Assert.DoesNotContain("events_p20261101", partitions);
        Assert.Equal("events_p20261102", partitions.Min());
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'events_p20261101'"));
        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(10));
        Assert.Equal(HttpStatusCode.OK, await ReadStatusAsync(11));
        Assert.Equal(1L, await CountEventsAsync());
    }

    [Fact]
    public async Task In_the_straddling_partition_only_older_rows_are_deleted_in_batches()
    {
        using var producer = await ProducerClientAsync();
        var day = Start.AddDays(-1); // 2026-11-20, all in events_p20261120
        var batch = new JsonArray();
        for (var i = 1; i <= 7; i++)
        {
            batch.Add(EventAt(100 + i, day.AddHours(i)));       // 01:00 .. 07:00
        }

        for (var i = 1; i <= 3; i++)
        {
            batch.Add(EventAt(200 + i, day.AddHours(19 + i)));  // 20:00 .. 22:00
        }

        await PostJsonAsync(producer, batch);
        var cutoff = day.AddHours(12);
        MoveClockTo(cutoff + TimeSpan.FromDays(30));
        var purger = ActivatorUtilities.CreateInstance<RetentionPurger>(Fixture.Factory.Services,
            Options.Create(new RetentionOptions { DeleteBatchSize = 2, LockTimeout = TimeSpan.FromSeconds(1) }));

        var run = await purger.PurgeAsync(CancellationToken.None);

        Assert.Null(run.Error);
        Assert.Equal(7, run.RowsDeleted);
        Assert.Contains("events_p20261120", await PartitionsAsync());
        Assert.Equal("201,202,203", await Fixture.QueryScalarAsync<string>("SELECT string_agg(id::text, ',' ORDER BY id) FROM events_p20261120"));
    }

    [Fact]
    public async Task A_round_makes_the_partitions_ahead_of_a_moved_clock()
    {
        Fixture.Time.Advance(TimeSpan.FromDays(10)); // now 2026-12-01: the lead time reaches 2026-12-04
        Assert.DoesNotContain("events_p20261204", await PartitionsAsync());

        await RoundAsync();

        var partitions = await PartitionsAsync();
        Assert.Contains("events_p20261204", partitions);
        Assert.Equal("events_p20261101", partitions.Min());
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(20, Fixture.Time.GetUtcNow().AddMinutes(-1)));
    }

    [Fact]
    public async Task A_purger_skips_the_round_while_another_holds_the_lock()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(30, Start.AddHours(-1)));
        Fixture.Time.Advance(TimeSpan.FromDays(31));
        await using var other = new NpgsqlConnection(Fixture.ConnectionString);
        await other.OpenAsync();
        await ExecuteAsync(other, $"SELECT pg_advisory_lock({RetentionPurger.AdvisoryLockKey})");

        var skipped = await RoundAsync();

        Assert.True(skipped.Skipped);
        Assert.Equal(0, skipped.PartitionsDropped);
        Assert.Equal(1L, await CountEventsAsync());

        await ExecuteAsync(other, $"SELECT pg_advisory_unlock({RetentionPurger.AdvisoryLockKey})");
        var worked = await RoundAsync();

        Assert.False(worked.Skipped);
        Assert.Null(worked.Error);
        Assert.Equal(0L, await CountEventsAsync());
    }

    [Fact]
    public async Task A_failed_round_leaves_the_host_answering_and_the_next_round_succeeds()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(40, Start.AddDays(-20).AddHours(1)));
        Fixture.Time.Advance(TimeSpan.FromDays(11));
        await using var other = new NpgsqlConnection(Fixture.ConnectionString);
        await other.OpenAsync();
        await using (var tx = await other.BeginTransactionAsync())
        {
            // A long query's lock on a partition due for dropping: the purge waits Retention:LockTimeout, then gives up.
            await ExecuteAsync(other, "LOCK TABLE events_p20261101 IN ACCESS EXCLUSIVE MODE", tx);

            var failed = await RoundAsync();

            Assert.Contains("lock timeout", failed.Error);
            Assert.False(Job.ExecuteTask!.IsCompleted);
            Assert.Equal(HttpStatusCode.OK, (await Fixture.Client().GetAsync("/health/ready")).StatusCode);
            await tx.RollbackAsync();
        }

        using var admin = Fixture.AdminClient();
        var status = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention"));
        Assert.Contains("lock timeout", status["last_run"]!["error"]!.GetValue<string>());

        var worked = await RoundAsync();

        Assert.Null(worked.Error);
        Assert.DoesNotContain("events_p20261101", await PartitionsAsync());
        Assert.Equal(HttpStatusCode.NotFound, await ReadStatusAsync(40));
    }

    [Fact]
    public async Task Quarantined_items_follow_the_same_retention()
    {
        using var producer = await ProducerClientAsync();
        await PostRejectedAsync(producer, 50); // received at Start
        Fixture.Time.Advance(TimeSpan.FromDays(20));
        await PostRejectedAsync(producer, 51); // received at Start + 20 d
        Fixture.Time.Advance(TimeSpan.FromDays(10) + TimeSpan.FromSeconds(1)); // cutoff Start + 1 s

        var run = await RoundAsync();

        Assert.Equal(1, run.QuarantineDeleted);
        Assert.Equal(51L, await Fixture.QueryScalarAsync<long>("SELECT event_id FROM quarantine"));
    }

    [Fact]
    public async Task The_admin_endpoint_shows_the_policy_the_last_run_and_the_oldest_event()
    {
        using var admin = Fixture.AdminClient();
        var before = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention"));
        Assert.True(before["enabled"]!.GetValue<bool>());
        Assert.Equal("30.00:00:00", before["period"]!.GetValue<string>());
        Assert.Equal("01:00:00", before["interval"]!.GetValue<string>());
        Assert.Equal(Start.AddDays(-30), before["cutoff"]!.GetValue<DateTimeOffset>());
        Assert.Null(before["oldest_event"]);
        Assert.Null(before["last_run"]);

        using var producer = await ProducerClientAsync();
        var oldest = Start.AddDays(-24).AddHours(12); // 2026-10-28T12:00Z
        await PostAcceptedAsync(producer, EventAt(60, oldest));
        await PostAcceptedAsync(producer, EventAt(61, Start.AddHours(-1)));
        Fixture.Time.Advance(TimeSpan.FromDays(6)); // cutoff 2026-10-28T00:00Z
        await RoundAsync();

        var response = await admin.GetAsync("/api/v1/admin/retention");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await ReadJsonAsync(response);
        Assert.Equal(Start.AddDays(-24), status["cutoff"]!.GetValue<DateTimeOffset>());
        Assert.Equal(oldest, status["oldest_event"]!.GetValue<DateTimeOffset>());
        var last = status["last_run"]!;
        Assert.Equal(Start.AddDays(6), last["started_at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(Start.AddDays(6), last["finished_at"]!.GetValue<DateTimeOffset>());
        Assert.True(last["duration_ms"]!.GetValue<long>() >= 0);
        Assert.Equal(6, last["partitions_dropped"]!.GetValue<int>());
        Assert.Equal(0, last["rows_deleted"]!.GetValue<long>());
        Assert.Equal(0, last["quarantine_deleted"]!.GetValue<long>());
        Assert.False(last["skipped"]!.GetValue<bool>());
        Assert.Null(last["error"]);

        await AssertProblemAsync(await Fixture.Client().GetAsync("/api/v1/admin/retention"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await producer.GetAsync("/api/v1/admin/retention"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task With_retention_disabled_a_round_keeps_partitions_ahead_but_purges_nothing()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(70, Start.AddHours(-1)));
        Fixture.Time.Advance(TimeSpan.FromDays(31));
        var job = ActivatorUtilities.CreateInstance<RetentionJob>(Fixture.Factory.Services,
            Options.Create(new RetentionOptions { Enabled = false }));

        var run = await job.RunRoundAsync(CancellationToken.None);

        Assert.Null(run);
        Assert.Equal(1L, await CountEventsAsync());
        Assert.Contains("events_p20261225", await PartitionsAsync());
    }

    [Theory]
    [InlineData("Retention:Period", "12:00:00", "Retention:Period must be at least one day")]
    [InlineData("Retention:Interval", "00:00:30", "Retention:Interval must be at least a minute")]
    public void The_host_refuses_to_start_with_a_retention_under_a_day_or_an_interval_under_a_minute(string key, string value, string message)
    {
        using var host = Fixture.CreateFactory(new Dictionary<string, string?> { [key] = value });

        var failure = Record.Exception(() => host.Server);

        Assert.NotNull(failure);
        Assert.Contains(message, failure.ToString());
    }

    private async Task<RetentionRun> RoundAsync() => (await Job.RunRoundAsync(CancellationToken.None))!;

    private void MoveClockTo(DateTimeOffset when) => Fixture.Time.Advance(when - Fixture.Time.GetUtcNow());

    private static JsonObject EventAt(long id, DateTimeOffset timestamp) => ValidEvent(id, age: Start - timestamp);

    private static async Task PostAcceptedAsync(HttpClient producer, JsonObject e) =>
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, e)).StatusCode);

    private static async Task PostRejectedAsync(HttpClient producer, long id)
    {
        var bad = ValidEvent(id);
        bad.Remove("organisation");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await PostJsonAsync(producer, bad)).StatusCode);
    }

    /// <summary>Reads as the events' organisation does, with an auth token made at the current (moved) clock.</summary>
    private async Task<HttpStatusCode> ReadStatusAsync(long id)
    {
        using var reader = await OrganisationClientAsync(4711);
        return (await reader.GetAsync($"/api/v1/event/{id}")).StatusCode;
    }

    private Task<string[]> PartitionsAsync() => Fixture.QueryScalarAsync<string[]>(
        """
        SELECT array_agg(c.relname::text ORDER BY c.relname)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
        """);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? tx = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync();
    }
}
