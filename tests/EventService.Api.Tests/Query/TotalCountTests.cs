using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Storage.Events;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

/// <summary>
/// X-Total-Count is exact whichever way it is computed: per-hour counts for whole hours inside a window, the index
/// for partial hours, the retention edge and every other filter. Each case is checked against a plain count(*).
/// </summary>
public sealed class TotalCountTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private const long Organisation = 4711;
    private static readonly DateTimeOffset Start = ApiFixture.Start;

    // Ages: across many hours, several in one hour, on hour boundaries, just inside the retention period (before
    // the hours the counts answer) and a little in the future.
    private static readonly TimeSpan[] Ages =
    [
        TimeSpan.FromMinutes(-4), TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(59), TimeSpan.FromHours(1),
        TimeSpan.FromHours(1).Add(TimeSpan.FromSeconds(1)), TimeSpan.FromHours(2.5), TimeSpan.FromHours(2.75), TimeSpan.FromHours(26),
        TimeSpan.FromDays(3), TimeSpan.FromDays(3).Add(TimeSpan.FromMinutes(30)), TimeSpan.FromDays(12.3), TimeSpan.FromDays(29.5),
        TimeSpan.FromDays(30) - TimeSpan.FromHours(2.1), TimeSpan.FromDays(30) - TimeSpan.FromHours(1.5), TimeSpan.FromDays(30) - TimeSpan.FromMinutes(30), TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1),
    ];

    [Fact]
    public async Task The_total_is_exact_for_no_filter_and_for_windows_on_and_between_hour_boundaries()
    {
        await PostAsync(Ages.Select((age, i) => EventAt(1 + i, Start - age)));
        await PostAsync([EventAt(100, Start.AddHours(-5), organisation: 4712)]); // another organisation's
        using var reader = await OrganisationClientAsync(Organisation);

        await AssertTotalAsync(reader, null, Ages.Length);
        foreach (var (from, until) in new[]
                 {
                     (Start.AddHours(-3), Start),                                   // hour boundaries, an event on each end
                     (Start.AddHours(-2.5), Start.AddMinutes(-1)),                  // an event exactly on each end, inside hours
                     (Start.AddHours(-3), Start.AddMinutes(-30)),                   // events after the end, in its hour
                     (Start.AddHours(-2.6), Start.AddHours(-1)),                    // events before the start, in its hour
                     (Start.AddDays(-3).AddMinutes(-1), Start.AddMinutes(10)),      // over days, past now
                     (Start.AddDays(-30), Start.AddDays(-29)),                      // only the retention edge
                     (Start.AddDays(-30), Start.AddHours(-1)),                      // edge and counts together
                     (Start.AddMinutes(-30), Start.AddMinutes(-10)),                // inside one hour
                     (Start.AddDays(-20), Start.AddDays(-13)),                      // whole hours, no events
                 })
        {
            await AssertTotalAsync(reader, $"from:{Time(from)},until:{Time(until)}",
                Ages.Count(age => Start - age >= from && Start - age <= until));
        }

        // Folded into event_counts, the same totals.
        Assert.True(await Compactor.CompactAsync(CancellationToken.None) > 0);
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM event_count_deltas"));
        await AssertTotalAsync(reader, null, Ages.Length);
        await AssertTotalAsync(reader, $"from:{Time(Start.AddHours(-3))},until:{Time(Start.AddMinutes(-30))}",
            Ages.Count(age => age >= TimeSpan.FromMinutes(30) && age <= TimeSpan.FromHours(3)));

        // The timestamp form: one whole UTC day, its end excluded.
        var day = Start.AddDays(-3);
        await AssertTotalAsync(reader, $"timestamp:{day:yyyy-MM-dd}", Ages.Count(age => Start - age >= day && Start - age < day.AddDays(1)));
        // Any other condition is a plain count, and agrees.
        await AssertTotalAsync(reader, $"type:1,from:{Time(Start.AddDays(-4))},until:{Time(Start)}", Ages.Count(age => age >= TimeSpan.Zero && age <= TimeSpan.FromDays(4)));
    }

    [Theory]
    [InlineData("from:9999-12-31T23:00:01Z,until:9999-12-31T23:59:59Z")]
    [InlineData("timestamp:9999-12-30")]
    [InlineData("from:0001-01-01T00:00:00Z,until:0001-01-01T00:30:00Z")]
    public async Task Windows_at_the_ends_of_the_calendar_count_nothing_instead_of_failing(string q)
    {
        await PostAsync(Ages.Select((age, i) => EventAt(1 + i, Start - age)));
        using var reader = await OrganisationClientAsync(Organisation);

        await AssertTotalAsync(reader, q, 0);
    }

    [Fact]
    public async Task Duplicates_deletes_updates_and_truncation_keep_the_total_exact()
    {
        var batch = Ages.Select((age, i) => EventAt(1 + i, Start - age)).ToArray();
        await PostAsync(batch);
        await PostAsync(batch.Select(e => e.DeepClone().AsObject())); // all duplicates: nothing counted twice
        using var reader = await OrganisationClientAsync(Organisation);
        await AssertTotalAsync(reader, null, Ages.Length);

        await Compactor.CompactAsync(CancellationToken.None); // later changes come as deltas on top of folded counts
        await Fixture.ExecuteAsync("DELETE FROM events WHERE id IN (1, 3)");
        await AssertTotalAsync(reader, null, Ages.Length - 2);
        await AssertTotalAsync(reader, $"from:{Time(Start.AddHours(-3))},until:{Time(Start)}", 6);

        // Moved to another hour and to another organisation: the counts follow.
        await Fixture.ExecuteAsync("""UPDATE events SET "timestamp" = "timestamp" - interval '5 hours' WHERE id = 4""");
        await Fixture.ExecuteAsync("UPDATE events SET organisation_id = 4712 WHERE id = 5");
        await AssertTotalAsync(reader, null, Ages.Length - 3);
        await AssertTotalAsync(reader, $"from:{Time(Start.AddHours(-3))},until:{Time(Start)}", 4);
        await AssertTotalAsync(reader, $"from:{Time(Start.AddHours(-7))},until:{Time(Start.AddHours(-5))}", 1);

        await Fixture.ExecuteAsync("TRUNCATE events");
        await AssertTotalAsync(reader, null, 0);
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>("SELECT (SELECT count(*) FROM event_counts) + (SELECT count(*) FROM event_count_deltas)"));
    }

    [Fact]
    public async Task After_a_purge_round_the_total_is_exact_and_the_purged_hours_counts_are_gone()
    {
        await PostAsync(Ages.Select((age, i) => EventAt(1 + i, Start - age)));
        // The cutoff passes the four oldest events; it lies inside an hour, whose count the purge leaves stale.
        Fixture.Time.Advance(TimeSpan.FromHours(2.25));

        var run = (await Fixture.Factory.Services.GetRequiredService<RetentionJob>().RunRoundAsync(CancellationToken.None))!;

        Assert.Null(run.Error);
        Assert.Equal(4, run.RowsDeleted);
        using var reader = await OrganisationClientAsync(Organisation);
        await AssertTotalAsync(reader, null, Ages.Length - 4);
        var before = $"'{run.Cutoff.UtcDateTime:yyyy-MM-dd HH}:00:00+00'::timestamptz";
        Assert.Equal(0L, await Fixture.QueryScalarAsync<long>(
            $"SELECT (SELECT count(*) FROM event_counts WHERE hour < {before}) + (SELECT count(*) FROM event_count_deltas WHERE hour < {before})"));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_organisation_and_hour_do_not_wait_for_each_other()
    {
        // The first transaction stays open; the second writes the same organisation and hour, in two statements
        // and the other order too, and must commit without waiting for the first (a lock on a counter row would
        // make it wait for the first's commit, and the crossed orders deadlock).
        await using var first = await OpenAsync();
        await using var second = await OpenAsync();
        await using var tx1 = await first.BeginTransactionAsync();
        await InsertAsync(first, 1, 4711);
        await InsertAsync(first, 2, 4712);
        var other = Task.Run(async () =>
        {
            await using var tx2 = await second.BeginTransactionAsync();
            await InsertAsync(second, 3, 4712);
            await InsertAsync(second, 4, 4711);
            await tx2.CommitAsync();
        });

        await using (var observer = await OpenAsync())
        {
            for (var polls = 0; !other.IsCompleted; polls++)
            {
                Assert.True(polls < 3000, "the second transaction neither finished nor waited");
                await using var waiting = new NpgsqlCommand("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = @pid", observer);
                waiting.Parameters.AddWithValue("pid", second.ProcessID);
                Assert.False(await waiting.ExecuteScalarAsync() is true, "the second transaction waits for a lock the first holds");
                await Task.Delay(TimeSpan.FromMilliseconds(5)); // a backoff between looks, not a wait for time to pass
            }
        }

        await other;
        await tx1.CommitAsync();
        using var reader = await OrganisationClientAsync(Organisation);
        await AssertTotalAsync(reader, null, 2);
        await Compactor.CompactAsync(CancellationToken.None);
        await AssertTotalAsync(reader, null, 2);
        Assert.Equal(4L, await Fixture.QueryScalarAsync<long>("SELECT sum(events)::bigint FROM event_counts"));
    }

    private EventCountsCompactor Compactor => Fixture.Factory.Services.GetRequiredService<EventCountsCompactor>();

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task InsertAsync(NpgsqlConnection connection, long id, long organisation)
    {
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO events (id, "timestamp", received_at, event_type_id, severity, source, alert, organisation_id, entities)
            VALUES (@id, @ts, @ts, 1, 0, 0, false, @org, '{}')
            """, connection);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("ts", Start.AddHours(-1));
        insert.Parameters.AddWithValue("org", organisation);
        await insert.ExecuteNonQueryAsync();
    }

    private async Task PostAsync(IEnumerable<JsonObject> events)
    {
        using var producer = await ProducerClientAsync();
        var response = await PostJsonAsync(producer, new JsonArray([.. events]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Asserts X-Total-Count and X-Total-Pages against the expected number and a plain count(*) of the same rows.</summary>
    private async Task AssertTotalAsync(HttpClient reader, string? q, int expected)
    {
        var url = "/api/v1/event?per_page=5" + (q is null ? "" : "&q=" + Uri.EscapeDataString(q));
        var response = await reader.GetAsync(url);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var total = long.Parse(response.Headers.GetValues("X-Total-Count").Single(), CultureInfo.InvariantCulture);
        var counted = await Fixture.QueryScalarAsync<long>($"SELECT count(*) FROM events WHERE organisation_id = {Organisation}");
        Assert.True(expected == total, $"{q ?? "no q"}: X-Total-Count {total}, expected {expected} (the organisation holds {counted})");
        Assert.Equal(Math.Max(1, (expected + 4) / 5).ToString(CultureInfo.InvariantCulture), response.Headers.GetValues("X-Total-Pages").Single());
    }

    private static JsonObject EventAt(long id, DateTimeOffset timestamp, long organisation = Organisation) =>
        ValidEvent(id, organisation, age: Start - timestamp);

    private static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
