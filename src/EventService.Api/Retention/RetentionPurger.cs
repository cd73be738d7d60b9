using System.Diagnostics;
using System.Globalization;
using EventService.Api.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Retention;

/// <summary>
/// One purge round: drops the daily partitions of <c>events</c> that lie wholly before the cutoff, deletes in bounded
/// batches the older rows of the one partition that straddles it and the older quarantined items, and records the
/// round in <c>retention_runs</c>. The cutoff is <see cref="RetentionOptions.Period"/> before the injected clock's
/// now: the same period and clock as ingest's acceptance window, so ingest never writes what the purge removes.
/// </summary>
/// <remarks>
/// One purger at a time: a guard connection opens a transaction and takes
/// <c>pg_try_advisory_xact_lock</c>; the lock lives exactly as long as that transaction, which stays open (holding
/// no snapshot, no xid and no table lock) until the round ends, and goes away with the connection if the process
/// dies. The work itself runs on a second connection, each statement its own short transaction, so that no DELETE
/// batch holds row locks or a snapshot for the length of the round and ingest never waits on the purge. Before each
/// statement the guard is pinged: if its connection was lost (and the lock with it) the round stops. The work is
/// idempotent (DROP IF EXISTS, DELETE of rows before a fixed cutoff), so even a lost guard cannot do harm.
/// </remarks>
public sealed partial class RetentionPurger(
    NpgsqlDataSource dataSource,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionPurger> logger)
{
    /// <summary>The advisory lock key that serialises purgers across instances ("EVTRETN1").</summary>
    public const long AdvisoryLockKey = 0x4556_5452_4554_4E31;

    // A DELETE batch scans at most this many heap blocks (32 MB): the events table has no index that leads with
    // timestamp, so the straddling partition is walked in block ranges (a TID range scan) rather than re-scanned
    // from the start for every batch.
    private const int BlocksPerWindow = 4096;

    /// <summary>Runs one round. Never throws for a failed round (the result says why); throws only when cancelled.</summary>
    public async Task<RetentionRun> PurgeAsync(CancellationToken ct)
    {
        var o = options.Value;
        var run = new RetentionRun { StartedAt = time.GetUtcNow() };
        run.Cutoff = run.StartedAt - o.Period;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await using var guard = await dataSource.OpenConnectionAsync(ct);
            await using var guardTx = await guard.BeginTransactionAsync(ct);
            if (!await TryLockAsync(guard, guardTx, ct))
            {
                run.Skipped = true;
            }
            else
            {
                await using var work = await dataSource.OpenConnectionAsync(ct);
                // Session-level, for DETACH ... CONCURRENTLY cannot run inside a transaction block; Npgsql resets
                // the session (DISCARD ALL) before the pool hands the connection out again.
                await ExecuteAsync(work, "SELECT set_config('lock_timeout', @value, false)", ct,
                    new NpgsqlParameter("value", $"{(int)o.LockTimeout.TotalMilliseconds}ms"));

                var step = () => PingAsync(guard, guardTx, ct);
                run.PartitionsDropped = await DropOldPartitionsAsync(work, run.Cutoff, step, ct);
                run.RowsDeleted = await DeleteStraddlingRowsAsync(work, run.Cutoff, o.DeleteBatchSize, step, ct);
                await step();
                // The hourly counts of what the purge removed: EventSearch reads none from before the cutoff's hour.
                await ExecuteAsync(work,
                    """
                    DELETE FROM event_counts WHERE hour < date_trunc('hour', @cutoff, 'UTC');
                    DELETE FROM event_count_deltas WHERE hour < date_trunc('hour', @cutoff, 'UTC');
                    """, ct,
                    new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = run.Cutoff });
                run.QuarantineDeleted = await DeleteQuarantineAsync(work, run.Cutoff, o.DeleteBatchSize, step, ct);
                await guardTx.CommitAsync(ct);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            run.Error = ex.Message;
            LogFailed(ex, run.Cutoff);
        }

        run.FinishedAt = time.GetUtcNow();
        run.DurationMs = stopwatch.ElapsedMilliseconds;
        if (run.Skipped)
        {
            LogSkipped(run.Cutoff);
        }
        else if (run.Error is null)
        {
            LogPurged(run.PartitionsDropped, run.RowsDeleted, run.QuarantineDeleted, run.Cutoff, run.DurationMs);
        }

        await SaveAsync(run, ct);
        return run;
    }

    /// <summary>
    /// The oldest event kept: the smallest timestamp of the oldest daily partition that holds a row.
    /// </summary>
    public async Task<DateTimeOffset?> OldestEventAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var partition in (await ListPartitionsAsync(connection, ct)).Where(p => p.Attached && !p.DetachPending))
        {
            // REVIEW: with no index leading with timestamp this scans one day's partition; cheap for an admin call
            // at today's volumes, a roll-up or a BRIN index on timestamp would make it free.
            await using var command = new NpgsqlCommand($"""SELECT min("timestamp") FROM {partition.Name}""", connection);
            if (await command.ExecuteScalarAsync(ct) is DateTime oldest)
            {
                return new DateTimeOffset(DateTime.SpecifyKind(oldest, DateTimeKind.Utc));
            }
        }

        return null;
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection guard, NpgsqlTransaction tx, CancellationToken ct)
    {
        // The guard holds no snapshot between statements, so a DBA's idle-in-transaction limit has nothing to protect here.
        await using (var settings = new NpgsqlCommand("SET LOCAL idle_in_transaction_session_timeout = 0", guard, tx))
        {
            await settings.ExecuteNonQueryAsync(ct);
        }

        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@key)", guard, tx);
        command.Parameters.AddWithValue("key", AdvisoryLockKey);
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task PingAsync(NpgsqlConnection guard, NpgsqlTransaction tx, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await using var command = new NpgsqlCommand("SELECT 1", guard, tx);
        await command.ExecuteScalarAsync(ct);
    }

    private async Task<int> DropOldPartitionsAsync(NpgsqlConnection work, DateTimeOffset cutoff, Func<Task> step, CancellationToken ct)
    {
        var dropped = 0;
        foreach (var partition in (await ListPartitionsAsync(work, ct)).Where(p => p.End <= cutoff).OrderBy(p => p.Day))
        {
            await step();
            var name = PartitionManager.PartitionName(partition.Day);
            if (partition.Attached)
            {
                // DETACH ... CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on events, which neither inserts nor queries
                // conflict with, where a plain DETACH or a DROP of an attached partition takes ACCESS EXCLUSIVE on
                // events and so queues every insert behind any long query. A detach interrupted between its two
                // transactions leaves the partition pending; FINALIZE completes it next round.
                var mode = partition.DetachPending ? "FINALIZE" : "CONCURRENTLY";
                await ExecuteAsync(work, $"ALTER TABLE events DETACH PARTITION {name} {mode}", ct);
            }

            // Now a table of its own: dropping it locks nothing but itself.
            await ExecuteAsync(work, $"DROP TABLE IF EXISTS {name}", ct);
            LogDropped(name);
            dropped++;
        }

        return dropped;
    }

    private static async Task<long> DeleteStraddlingRowsAsync(
        NpgsqlConnection work, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(cutoff.UtcDateTime);
        var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var partition = (await ListPartitionsAsync(work, ct)).FirstOrDefault(p => p.Day == day && p.Attached && !p.DetachPending);
        if (cutoff == start || partition is null)
        {
            return 0;
        }

        var name = PartitionManager.PartitionName(day);
        long blocks;
        await using (var size = new NpgsqlCommand(
            "SELECT pg_relation_size(@name::regclass) / current_setting('block_size')::bigint", work))
        {
            size.Parameters.AddWithValue("name", name);
            blocks = (long)(await size.ExecuteScalarAsync(ct))!;
        }

        // Rows added while the round runs go to later blocks, and ingest writes no row older than the cutoff.
        var deleted = 0L;
        for (var low = 0L; low < blocks; low += BlocksPerWindow)
        {
            int count;
            do
            {
                await step();
                await using var delete = new NpgsqlCommand(
                    $"""
                    DELETE FROM {name} WHERE ctid = ANY (ARRAY(
                        SELECT ctid FROM {name}
                        WHERE ctid >= @low AND ctid < @high AND "timestamp" < @cutoff
                        LIMIT @batch))
                    """, work);
                delete.Parameters.Add(new NpgsqlParameter<NpgsqlTid>("low", NpgsqlDbType.Tid) { TypedValue = new NpgsqlTid(checked((uint)low), 0) });
                delete.Parameters.Add(new NpgsqlParameter<NpgsqlTid>("high", NpgsqlDbType.Tid) { TypedValue = new NpgsqlTid(checked((uint)Math.Min(low + BlocksPerWindow, uint.MaxValue)), 0) });
                delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff });
                delete.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
                count = await delete.ExecuteNonQueryAsync(ct);
                deleted += count;
            }
            while (count == batchSize);
        }

        return deleted;
    }

    private static async Task<long> DeleteQuarantineAsync(
        NpgsqlConnection work, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct)
    {
        var deleted = 0L;
        int count;
        do
        {
            await step();
            await using var delete = new NpgsqlCommand(
                """
                DELETE FROM quarantine WHERE id = ANY (ARRAY(
                    SELECT id FROM quarantine WHERE received_at < @cutoff ORDER BY received_at LIMIT @batch))
                """, work);
            delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff });
            delete.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
            count = await delete.ExecuteNonQueryAsync(ct);
            deleted += count;
        }
        while (count == batchSize);

        return deleted;
    }

    private sealed record Partition(DateOnly Day, bool Attached, bool DetachPending)
    {
        public string Name => PartitionManager.PartitionName(Day);

        public DateTimeOffset End => new(Day.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
    }

    // Daily tables of events by name, attached or left detached by an interrupted round; nothing else is touched.
    private static async Task<List<Partition>> ListPartitionsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT c.relname::text, i.inhrelid IS NOT NULL, COALESCE(i.inhdetachpending, false)
            FROM pg_class c
            LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'events'::regclass
            WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
              AND c.relname ~ '^events_p[0-9]{8}$'
            """, connection);
        var partitions = new List<Partition>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (DateOnly.TryParseExact(reader.GetString(0)["events_p".Length..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                partitions.Add(new Partition(day, reader.GetBoolean(1), reader.GetBoolean(2)));
            }
        }

        return partitions.OrderBy(p => p.Day).ToList();
    }

    private async Task SaveAsync(RetentionRun run, CancellationToken ct)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO retention_runs (id, started_at, finished_at, duration_ms, cutoff, partitions_dropped,
                                            rows_deleted, quarantine_deleted, skipped, error)
                VALUES (@id, @started_at, @finished_at, @duration_ms, @cutoff, @partitions_dropped,
                        @rows_deleted, @quarantine_deleted, @skipped, @error)
                ON CONFLICT (id) DO UPDATE SET
                    started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                    duration_ms = EXCLUDED.duration_ms, cutoff = EXCLUDED.cutoff,
                    partitions_dropped = EXCLUDED.partitions_dropped, rows_deleted = EXCLUDED.rows_deleted,
                    quarantine_deleted = EXCLUDED.quarantine_deleted, skipped = EXCLUDED.skipped, error = EXCLUDED.error
                """);
            var p = command.Parameters;
            p.AddWithValue("id", run.Id);
            p.Add(new NpgsqlParameter<DateTimeOffset>("started_at", NpgsqlDbType.TimestampTz) { TypedValue = run.StartedAt });
            p.Add(new NpgsqlParameter<DateTimeOffset>("finished_at", NpgsqlDbType.TimestampTz) { TypedValue = run.FinishedAt });
            p.AddWithValue("duration_ms", run.DurationMs);
            p.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = run.Cutoff });
            p.AddWithValue("partitions_dropped", run.PartitionsDropped);
            p.AddWithValue("rows_deleted", run.RowsDeleted);
            p.AddWithValue("quarantine_deleted", run.QuarantineDeleted);
            p.AddWithValue("skipped", run.Skipped);
            p.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)run.Error ?? DBNull.Value });
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogNotSaved(ex);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: dropped {Partitions} partitions, deleted {Rows} events and {QuarantineRows} quarantined items older than {Cutoff:o} in {ElapsedMs} ms")]
    private partial void LogPurged(int partitions, long rows, long quarantineRows, DateTimeOffset cutoff, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: dropped partition {Partition}")]
    private partial void LogDropped(string partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention round skipped: another instance holds the purge lock (cutoff {Cutoff:o})")]
    private partial void LogSkipped(DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention round failed (cutoff {Cutoff:o}); it runs again next round")]
    private partial void LogFailed(Exception exception, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: could not record the round in retention_runs")]
    private partial void LogNotSaved(Exception exception);
}
