using EventService.Api.Retention;
using EventService.Api.Storage.Events;
using EventService.Api.Storage;
using EventService.Api.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Storage;

public sealed class SchemaTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public void The_model_has_no_changes_that_a_migration_does_not_capture() =>
        Assert.False(Fixture.WithDb(db => db.Database.HasPendingModelChanges()),
            "The EF Core model has changed: add a migration (dotnet ef migrations add <Name> --project src/EventService.Api --output-dir Storage/Migrations).");

    [Fact]
    public async Task A_host_started_on_an_empty_database_applies_every_migration_and_makes_the_events_table_its_count_triggers_and_todays_partition()
    {
        var name = "eventservice_empty_" + Guid.NewGuid().ToString("N")[..12];
        await Fixture.ExecuteAsync($"CREATE DATABASE {name}");
        try
        {
            var empty = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { Database = name }.ConnectionString;
            IReadOnlyList<string> applied;
            await using (var host = Fixture.CreateFactory(new Dictionary<string, string?> { ["ConnectionStrings:Events"] = empty }))
            {
                _ = host.Server;
                await host.Services.GetRequiredService<RetentionJob>().FirstRound;
                await using var scope = host.Services.CreateAsyncScope();
                applied = [.. await scope.ServiceProvider.GetRequiredService<EventsDbContext>().Database.GetAppliedMigrationsAsync()];
            }

            Assert.Equal(Fixture.WithDb(db => db.Database.GetMigrations()), applied);
            await using var connection = new NpgsqlConnection(empty);
            await connection.OpenAsync();
            await using var schema = new NpgsqlCommand(
                """
                SELECT (SELECT relkind::text FROM pg_class WHERE oid = 'events'::regclass),
                       (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND NOT tgisinternal),
                       EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                               WHERE i.inhparent = 'events'::regclass AND c.relname = @today)
                """, connection);
            schema.Parameters.AddWithValue("today", EventPartitions.DailyName(DateOnly.FromDateTime(ApiFixture.Start.UtcDateTime)));
            await using var reader = await schema.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal("p", reader.GetString(0)); // partitioned
            Assert.Equal(["events_counted_delete", "events_counted_insert", "events_counted_truncate", "events_counted_update"], reader.GetFieldValue<string[]>(1));
            Assert.True(reader.GetBoolean(2), "no partition for the host's today");
        }
        finally
        {
            await Fixture.ExecuteAsync($"DROP DATABASE {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task The_events_table_is_range_partitioned_by_timestamp()
    {
        var strategy = await Fixture.QueryScalarAsync<string>(
            """
            SELECT pt.partstrat::text || ':' || a.attname
            FROM pg_partitioned_table pt
            JOIN pg_class c ON c.oid = pt.partrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
            WHERE c.relname = 'events'
            """);

        Assert.Equal("r:timestamp", strategy);
    }

    [Fact]
    public async Task Daily_partitions_cover_the_acceptance_window_and_three_days_ahead()
    {
        var first = EventPartitions.DailyName(DateOnly.FromDateTime(ApiFixture.Start.AddDays(-30).UtcDateTime));
        var last = EventPartitions.DailyName(DateOnly.FromDateTime(ApiFixture.Start.AddDays(3).UtcDateTime));

        var names = await Fixture.QueryScalarAsync<string[]>(
            """
            SELECT array_agg(c.relname::text ORDER BY c.relname)
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = 'events'
            """);

        Assert.Contains(first, names);
        Assert.Contains(last, names);
        var expected = Enumerable.Range(0, 34).Select(d => EventPartitions.DailyName(DateOnly.FromDateTime(ApiFixture.Start.AddDays(-30 + d).UtcDateTime)));
        Assert.Empty(expected.Except(names));
    }

    [Fact]
    public async Task Filterable_fields_are_indexed_columns()
    {
        var indexed = await Fixture.QueryScalarAsync<string>(
            """
            SELECT string_agg(DISTINCT a.attname, ',' ORDER BY a.attname)
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)
            WHERE c.relname = 'events'
            """);

        foreach (var column in new[] { "id", "timestamp", "organisation_id", "event_type_id", "endpoint_id", "sim_id", "user_id", "iccid", "imsi" })
        {
            Assert.Contains(column, indexed.Split(','));
        }
    }

    [Fact]
    public async Task Timestamps_are_stored_as_timestamptz()
    {
        var type = await Fixture.QueryScalarAsync<string>(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'timestamp'");

        Assert.Equal("timestamp with time zone", type);
    }
}
