using System.Globalization;
using EventService.Api.Retention;
using EventService.Api.Tests.Infrastructure;
using EventService.Api.Storage.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Retention;

/// <summary>
/// Retention is decided from each partition's bounds, not its name: partitions an operator, a restore or another
/// tool attached are purged like the service's daily ones, a DEFAULT partition does not stop the purge, and a drop
/// interrupted after its detach is finished by the next round.
/// </summary>
public sealed class RetentionByBoundsTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly DateTimeOffset Start = ApiFixture.Start; // cutoff at Start: 2026-10-22T00:00Z

    private RetentionJob Job => Fixture.Factory.Services.GetRequiredService<RetentionJob>();

    [Fact]
    public async Task Partitions_with_foreign_names_are_purged_by_their_bounds()
    {
        // A restore attached October's first half under its own name, and an import replaced three daily partitions
        // with one that straddles the cutoff. A table named like an old daily partition but attached to nothing is no
        // partition: nobody recorded it for dropping, so it stays.
        await Fixture.ExecuteAsync(
            """
            CREATE TABLE events_restored_october (LIKE events INCLUDING DEFAULTS);
            ALTER TABLE events ATTACH PARTITION events_restored_october FOR VALUES FROM ('2026-10-01 00:00:00+00') TO ('2026-10-15 00:00:00+00');
            DROP TABLE events_p20261022, events_p20261023, events_p20261024;
            CREATE TABLE events_archive_import (LIKE events INCLUDING DEFAULTS);
            ALTER TABLE events ATTACH PARTITION events_archive_import FOR VALUES FROM ('2026-10-15 00:00:00+00') TO ('2026-10-25 00:00:00+00');
            CREATE TABLE events_p20261001 (LIKE events INCLUDING DEFAULTS);
            """);
        await InsertAsync(1, Start.AddDays(-48)); // 2026-10-04: 48 days old, in the restored partition
        await InsertAsync(2, Start.AddDays(-35)); // 2026-10-17: older than the cutoff, in the straddling import
        await InsertAsync(3, Start.AddDays(-29)); // 2026-10-23: younger, in the straddling import
        await InsertAsync(4, Start.AddHours(-1));

        var run = (await Job.RunRoundAsync(CancellationToken.None))!;

        Assert.Null(run.Error);
        Assert.Equal(1, run.PartitionsDropped);
        Assert.Equal(1, run.RowsDeleted);
        Assert.Equal("3,4", await IdsAsync());
        var partitions = await PartitionsAsync();
        Assert.DoesNotContain("events_restored_october", partitions);
        Assert.Contains("events_archive_import", partitions);
        Assert.DoesNotContain("events_p20261022", partitions); // the import's range covers the day: no daily partition beside it
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'events_restored_october'"));
        Assert.Equal(1L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'events_p20261001'"));
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM event_partition_drops"));
    }

    [Fact]
    public async Task With_a_default_partition_old_rows_are_still_purged_and_the_log_says_why_detaches_are_plain()
    {
        await Fixture.ExecuteAsync("CREATE TABLE events_default PARTITION OF events DEFAULT");
        await InsertAsync(1, Start.AddDays(-40));   // before every partition: in the DEFAULT partition, old
        await InsertAsync(2, Start.AddDays(10));    // after every partition: in the DEFAULT partition, young
        await InsertAsync(3, Start.AddDays(-30).AddHours(12)); // events_p20261022
        await InsertAsync(4, Start.AddHours(-1));
        Fixture.Time.Advance(TimeSpan.FromDays(2)); // cutoff 2026-10-24: events_p20261022 and events_p20261023 lie before it
        var logs = new FakeLogCollector();
        var purger = ActivatorUtilities.CreateInstance<RetentionPurger>(Fixture.Factory.Services, new FakeLogger<RetentionPurger>(logs));
        var job = ActivatorUtilities.CreateInstance<RetentionJob>(Fixture.Factory.Services, purger);

        var run = (await job.RunRoundAsync(CancellationToken.None))!;

        Assert.Null(run.Error);
        Assert.Equal(2, run.PartitionsDropped);
        Assert.Equal(1, run.RowsDeleted);
        Assert.Equal("2,4", await IdsAsync());
        Assert.Equal(2L, await Fixture.QueryScalarAsync<long>("SELECT id FROM events_default"));
        var partitions = await PartitionsAsync();
        Assert.DoesNotContain("events_p20261023", partitions);
        Assert.Contains("events_p20261024", partitions);
        Assert.Contains("events_p20261126", partitions); // the lead time's new days attach beside the DEFAULT partition
        Assert.Contains(logs.GetSnapshot(), r => r.Message.Contains("DEFAULT partition events_default", StringComparison.Ordinal)
                                                 && r.Message.Contains("refuses DETACH ... CONCURRENTLY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_drop_that_a_crash_interrupted_after_its_detach_is_finished_by_the_next_round()
    {
        await InsertAsync(1, Start.AddDays(-30).AddHours(12)); // events_p20261022
        Fixture.Time.Advance(TimeSpan.FromDays(1));              // cutoff 2026-10-23: events_p20261022 lies before it
        await using (var connection = new NpgsqlConnection(Fixture.ConnectionString))
        {
            // What a purge that died between its detach and its drop leaves: the record, and the detached table.
            await connection.OpenAsync();
            var partition = (await EventPartitions.ListAsync(connection, CancellationToken.None)).Single(p => p.Name == "events_p20261022");
            await EventPartitions.RecordDropAsync(connection, partition, Fixture.Time.GetUtcNow(), CancellationToken.None);
            await EventPartitions.DetachAsync(connection, partition, concurrently: true, CancellationToken.None);
        }

        Assert.DoesNotContain("events_p20261022", await PartitionsAsync()); // detached, not dropped
        Assert.Equal(1L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'events_p20261022'"));
        Assert.Equal("events_p20261022", await Fixture.QueryScalarAsync<string>("SELECT table_name FROM event_partition_drops"));

        var next = (await Job.RunRoundAsync(CancellationToken.None))!;

        Assert.Null(next.Error);
        Assert.Equal(1, next.PartitionsDropped);
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM pg_class WHERE relname = 'events_p20261022'"));
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM event_partition_drops"));
    }

    [Fact]
    public async Task A_round_cancelled_between_two_drops_keeps_the_first_and_says_so()
    {
        Fixture.Time.Advance(TimeSpan.FromDays(3)); // events_p20261022 to events_p20261024 lie before the cutoff
        using var cancel = new CancellationTokenSource();
        var logs = new FakeLogCollector();
        var logger = new CancellingLogger(new FakeLogger<RetentionPurger>(logs), "Retention: dropped partition", cancel);
        var purger = ActivatorUtilities.CreateInstance<RetentionPurger>(Fixture.Factory.Services, (ILogger<RetentionPurger>)logger);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => purger.PurgeAsync(cancel.Token));

        var partitions = await PartitionsAsync();
        Assert.DoesNotContain("events_p20261022", partitions);
        Assert.Contains("events_p20261023", partitions);
        Assert.Contains(logs.GetSnapshot(), r => r.Message.StartsWith("Retention round cancelled", StringComparison.Ordinal));
    }

    private Task InsertAsync(long id, DateTimeOffset timestamp) => Fixture.ExecuteAsync(
        $"""
        INSERT INTO events (id, "timestamp", received_at, event_type_id, severity, source, alert, organisation_id, entities)
        VALUES ({id}, '{timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}+00', now(), 1, 0, 0, false, 4711, '{"{"}{"}"}')
        """);

    private Task<string> IdsAsync() => Fixture.QueryScalarAsync<string>("SELECT COALESCE(string_agg(id::text, ',' ORDER BY id), '') FROM events");

    private Task<string[]> PartitionsAsync() => Fixture.QueryScalarAsync<string[]>(
        """
        SELECT array_agg(c.relname::text ORDER BY c.relname)
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events'::regclass
        """);

    /// <summary>Cancels a token when a message starting with a text is logged: a round stopped at a known point.</summary>
    private sealed class CancellingLogger(FakeLogger<RetentionPurger> inner, string text, CancellationTokenSource cancel) : ILogger<RetentionPurger>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            if (formatter(state, exception).StartsWith(text, StringComparison.Ordinal))
            {
                cancel.Cancel();
            }
        }
    }
}
