using System.Diagnostics;
using System.Globalization;
using EventService.Api.Storage.Events;
using EventService.Domain.Catalog;
using EventService.Domain.Events;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Bench;

public sealed record LoadResult(TimeSpan Elapsed, long Bytes);

public sealed record Latencies(int Count, double P99Ms, double MaxMs)
{
    public static Latencies Of(List<double> ms)
    {
        if (ms.Count == 0)
        {
            return new Latencies(0, 0, 0);
        }

        ms.Sort();
        return new Latencies(ms.Count, ms[Math.Min(ms.Count - 1, (int)Math.Ceiling(ms.Count * 0.99) - 1)], ms[^1]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Count:N0}, {P99Ms:F2} ms, {MaxMs:F2} ms");
}

public sealed record Measurement(TimeSpan Elapsed, long WalBytes, Latencies Before, Latencies During);

/// <summary>Loads a day of events and measures an operation while one connection keeps inserting single events.</summary>
public sealed class Bench(NpgsqlDataSource dataSource, EventPartitions partitions, DateOnly day, int rows)
{
    private static readonly TimeSpan Baseline = TimeSpan.FromSeconds(3);
    private string Partition => EventPartitions.DailyName(day);

    /// <summary>Drops every partition and makes the ones from two days before the old day to today's lead time.</summary>
    public async Task ResetAsync(DateTimeOffset now, CancellationToken ct)
    {
        await ExecuteAsync("""
            DO $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'events'::regclass LOOP
                    EXECUTE 'DROP TABLE ' || r.name;
                END LOOP;
            END $$
            """, ct);
        await partitions.EnsureAsync(now, null, ct);
    }

    /// <summary>Creates the old day's partition when missing and fills it by binary COPY, then checkpoints.</summary>
    public async Task<LoadResult> LoadDayAsync(DateTimeOffset now, CancellationToken ct)
    {
        // The window of a clock two days back reaches the old day; the partition catalogue makes what is missing.
        await partitions.EnsureAsync(now.AddDays(-2), null, ct);
        var stopwatch = Stopwatch.StartNew();
        var random = new Random(42);
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var step = TimeSpan.FromDays(1) / rows;
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await using var import = await connection.BeginBinaryImportAsync(EventTable.CopyInto(Partition), ct);
            for (var i = 0; i < rows; i++)
            {
                var ts = start + step * i;
                var organisation = 1000 + random.Next(1000);
                var endpoint = 90_000 + random.Next(100_000);
                var sim = 700_000 + endpoint;
                var iccid = "89883030000" + sim.ToString("D8", CultureInfo.InvariantCulture);
                var imsi = "9014300" + sim.ToString("D8", CultureInfo.InvariantCulture);
                var imei = "35693803" + endpoint.ToString("D7", CultureInfo.InvariantCulture);
                var entities =
                    $$$"""{"organisation":{"id":{{{organisation}}},"name":"Org {{{organisation}}}"},"endpoint":{"id":{{{endpoint}}},"name":"truck-{{{endpoint}}}","ip_address":"100.64.{{{endpoint % 250}}}.{{{endpoint % 200}}}","tags":"fleet","imei":"{{{imei}}}"},"sim":{"id":{{{sim}}},"iccid":"{{{iccid}}}","production_date":"2021-05-10T00:00:00.000+0000"},"imsi":{"id":{{{800_000 + endpoint}}},"imsi":"{{{imsi}}}","import_date":"2021-05-10T00:00:00.000+0000"}}""";
                var detail =
                    $$$"""{"id":{{{random.Next(1, 300)}}},"name":"Vodafone","country":{"id":{{{random.Next(1, 250)}}},"name":"Germany","country_code":"49","mcc":"262","iso_code":"de"},"tapcode":[{"id":1,"tapcode":"DEUD2"}],"mnc":[{"id":2,"mnc":"02"}],"volume":{"rx":{{{random.NextDouble()}}},"tx":{{{random.NextDouble()}}},"total":1.5}}""";
                var e = new ValidatedEvent(
                    1_000_000_000L + i, ts, 1 + random.Next(20), (EventSeverity)random.Next(3), (EventSource)random.Next(3), random.Next(20) == 0,
                    "Update location", organisation, null, null, endpoint, sim, 800_000 + endpoint, iccid, imsi, imei,
                    $"100.64.{endpoint % 250}.{endpoint % 200}", entities, detail, null);
                await EventTable.WriteRowAsync(import, new NewEvent(e, e.Id, ts.AddMilliseconds(random.Next(50, 900)), 1), ct);
            }

            await import.CompleteAsync(ct);
        }

        var elapsed = stopwatch.Elapsed;
        await ExecuteAsync($"VACUUM (ANALYZE) {Partition}", ct); // as autovacuum would have, so both runs start alike
        await ExecuteAsync("CHECKPOINT", ct);
        return new LoadResult(elapsed, await PartitionBytesAsync(ct));
    }

    public async Task<long> PartitionBytesAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT COALESCE(pg_total_relation_size(to_regclass(@name)), 0)");
        command.Parameters.AddWithValue("name", Partition);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    public async Task<long> CountOldAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("""SELECT count(*) FROM events WHERE "timestamp" < @cutoff""");
        command.Parameters.AddWithValue("cutoff", cutoff);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>
    /// Inserts one event at a time (each its own transaction) for a baseline period, then runs the operation and keeps
    /// inserting until it ends; returns how long it took, the WAL written meanwhile and the insert latencies.
    /// </summary>
    public async Task<Measurement> MeasureAsync(Func<Task> operation, CancellationToken ct)
    {
        var before = new List<double>();
        var during = new List<double>();
        var phase = 0; // 0 baseline, 1 during, 2 stop
        using var insertsDone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var inserter = Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO events (id, "timestamp", received_at, event_type_id, severity, source, alert, description,
                                    organisation_id, entities, detail)
                VALUES (nextval('event_id_seq'), now(), now(), 1, 0, 0, false, 'Update location', @organisation,
                        '{"organisation":{"id":4711}}', '{"id":3,"name":"Vodafone"}')
                """, connection);
            var organisation = new NpgsqlParameter<long>("organisation", NpgsqlDbType.Bigint);
            insert.Parameters.Add(organisation);
            await insert.PrepareAsync(ct);
            // Bounded in count as well as by the operation's end and the run's deadline.
            for (var i = 0; i < 2_000_000 && Volatile.Read(ref phase) < 2; i++)
            {
                organisation.TypedValue = 1000 + (i % 1000);
                var started = Stopwatch.GetTimestamp();
                await insert.ExecuteNonQueryAsync(ct);
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                (Volatile.Read(ref phase) == 0 ? before : during).Add(ms);
            }
        }, ct);

        await Task.Delay(Baseline, ct);
        var walBefore = await WalLsnAsync(ct);
        Volatile.Write(ref phase, 1);
        var stopwatch = Stopwatch.StartNew();
        await operation();
        var elapsed = stopwatch.Elapsed;
        Volatile.Write(ref phase, 2);
        await inserter;
        var wal = await WalDiffAsync(walBefore, ct);
        return new Measurement(elapsed, wal, Latencies.Of(before), Latencies.Of(during));
    }

    private async Task<string> WalLsnAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_current_wal_lsn()::text");
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task<long> WalDiffAsync(string from, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), @from::pg_lsn)::bigint");
        command.Parameters.AddWithValue("from", from);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(ct);
    }
}
