using System.Diagnostics;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Retention;

/// <summary>
/// One purge round: detaches and drops the partitions of <c>events</c> whose bounds lie wholly before the cutoff
/// (whatever their names), deletes in bounded batches the older rows of the partitions that straddle it (and of a
/// DEFAULT partition), and the older quarantined items, and records the round in <c>retention_runs</c>. The cutoff
/// is <see cref="RetentionWindow"/>'s rule applied to the database's clock, with the period stored in the database,
/// so that no instance's clock or configuration decides what every instance loses. An instance whose configured
/// period differs from the stored one, or whose clock (that of its ingest's acceptance window) differs from the
/// database's by more than <see cref="RetentionOptions.MaxClockSkew"/>, refuses to purge and says why. The partition
/// DDL is <see cref="EventPartitions"/>'; this type only orchestrates.
/// </summary>
/// <remarks>
/// One purger at a time: a guard connection opens a transaction and takes
/// <c>pg_try_advisory_xact_lock</c>; the lock lives exactly as long as that transaction, which stays open (holding
/// no snapshot, no xid and no table lock) until the round ends, and goes away with the connection if the process
/// dies. The work itself runs on a second connection, each statement its own short transaction, so that no DELETE
/// batch holds row locks or a snapshot for the length of the round and ingest never waits on the purge. Before each
/// statement the guard is pinged: if its connection was lost (and the lock with it) the round stops. The work is
/// idempotent (a drop checks the recorded oid and name, a DELETE removes rows before a fixed cutoff), so even a lost
/// guard cannot do harm.
/// <para>A detached table has no bounds any more: each partition is recorded in <c>event_partition_drops</c> before it is
/// detached, and every round first finishes the recorded drops, so a crash between detach and drop costs one round's
/// delay, never a table left behind or a table dropped for its name alone.</para>
/// </remarks>
public sealed partial class RetentionPurger(
    NpgsqlDataSource dataSource,
    IOptions<RetentionOptions> options,
    RetentionWindow window,
    DatabaseClock databaseClock,
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
        var run = new RetentionRun { StartedAt = time.GetUtcNow() };
        run.Cutoff = window.CutoffAt(run.StartedAt);
        var stopwatch = Stopwatch.StartNew();
        try
        {
            var check = await CheckAsync(ct);
            run.Cutoff = check.Cutoff;
            run.PurgeBlocked = check.Blocked;
            if (check.Blocked is null)
            {
                await PurgeUnderLockAsync(run, ct);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            run.Error = ex.Message;
            LogFailed(ex, run.Cutoff);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Between two statements: what is done stays done (each its own transaction), the rest waits for a round.
            LogCancelled(run.Cutoff);
            throw;
        }

        run.FinishedAt = time.GetUtcNow();
        run.DurationMs = stopwatch.ElapsedMilliseconds;
        if (run.PurgeBlocked is not null)
        {
            LogBlocked(run.PurgeBlocked);
        }
        else if (run.Skipped)
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

    /// <summary>Takes the purge lock (or marks the round skipped) and removes what lies before the round's cutoff.</summary>
    private async Task PurgeUnderLockAsync(RetentionRun run, CancellationToken ct)
    {
        var o = options.Value;
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
            run.PartitionsDropped = await DropOldPartitionsAsync(work, run.Cutoff, run.StartedAt, step, ct);
            run.RowsDeleted = await DeleteStraddlingRowsAsync(work, run.Cutoff, o.DeleteBatchSize, step, ct);
            await step();
            // The hourly counts of what the purge removed (the counts' rules: EventCounts).
            await ExecuteAsync(work, EventCounts.PurgeSql, ct,
                new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = run.Cutoff });
            run.QuarantineDeleted = await DeleteQuarantineAsync(work, run.Cutoff, o.DeleteBatchSize, step, ct);
            await guardTx.CommitAsync(ct);
        }
    }

    /// <summary>
    /// Whether this instance may purge now, and the cutoff if it does: the stored period (read again) before the
    /// database's clock. Blocked when this instance's configured period differs from the stored one, or its clock from
    /// the database's by more than <see cref="RetentionOptions.MaxClockSkew"/>.
    /// </summary>
    public async Task<PurgeCheck> CheckAsync(CancellationToken ct)
    {
        var stored = await window.LoadAsync(ct);
        var before = time.GetUtcNow();
        var database = await databaseClock.NowAsync(ct);
        var local = before + (time.GetUtcNow() - before) / 2;
        var skew = local - database;
        var reasons = new List<string>();
        if (window.ConfiguredPeriod != stored)
        {
            reasons.Add(
                $"this instance's Retention:Period {Format(window.ConfiguredPeriod)} differs from the stored period {Format(stored)}; "
                + "it keeps serving with the stored period but does not purge until its configuration says the same (or the period is changed with PUT /api/v1/admin/retention)");
        }

        if (skew.Duration() > options.Value.MaxClockSkew)
        {
            reasons.Add(
                $"this instance's clock is {Format(skew.Duration())} {(skew > TimeSpan.Zero ? "ahead of" : "behind")} the database's "
                + $"({local:o} against {database:o}), more than Retention:MaxClockSkew {Format(options.Value.MaxClockSkew)}; it does not purge until they agree");
        }

        return new PurgeCheck(window.CutoffAt(database), database, skew, reasons.Count == 0 ? null : string.Join("; ", reasons));
    }

    private static string Format(TimeSpan span) => span.ToString("c", System.Globalization.CultureInfo.InvariantCulture);

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

    private async Task<int> DropOldPartitionsAsync(NpgsqlConnection work, DateTimeOffset cutoff, DateTimeOffset now, Func<Task> step, CancellationToken ct)
    {
        var dropped = 0;
        // First what an earlier round recorded and did not finish (a crash between detach and drop).
        foreach (var record in await EventPartitions.RecordedDropsAsync(work, ct))
        {
            await step();
            if (await EventPartitions.FinishDropAsync(work, record, ct))
            {
                LogDropped(record.Name);
                dropped++;
            }
        }

        var partitions = await EventPartitions.ListAsync(work, ct);
        var fallback = partitions.FirstOrDefault(p => p.IsDefault);
        var old = partitions.Where(p => p.WhollyBefore(cutoff)).ToList();
        if (fallback is not null && old.Count > 0)
        {
            LogPlainDetach(fallback.Name, old.Count);
        }

        foreach (var partition in old)
        {
            await step();
            await EventPartitions.RecordDropAsync(work, partition, now, ct);
            if (fallback is null || partition.DetachPending)
            {
                // DETACH ... CONCURRENTLY: neither inserts nor queries wait for it. An interrupted one leaves the
                // partition pending, and the recorded drop FINALIZEs it next round.
                await EventPartitions.DetachAsync(work, partition, concurrently: true, ct);
            }
            else
            {
                // PostgreSQL refuses DETACH ... CONCURRENTLY while a DEFAULT partition exists. A plain DETACH takes
                // ACCESS EXCLUSIVE on events, and inserts queue behind it while it waits: it waits only briefly.
                await ExecuteAsync(work, "SELECT set_config('lock_timeout', @value, false)", ct,
                    new NpgsqlParameter("value", EventPartitions.Milliseconds(options.Value.PlainDetachLockTimeout)));
                try
                {
                    await EventPartitions.DetachAsync(work, partition, concurrently: false, ct);
                }
                finally
                {
                    await ExecuteAsync(work, "SELECT set_config('lock_timeout', @value, false)", ct,
                        new NpgsqlParameter("value", EventPartitions.Milliseconds(options.Value.LockTimeout)));
                }
            }

            await EventPartitions.FinishDropAsync(work, new PartitionDropRecord(partition.Oid, partition.Name), ct);
            LogDropped(partition.Name);
            dropped++;
        }

        return dropped;
    }

    private static async Task<long> DeleteStraddlingRowsAsync(
        NpgsqlConnection work, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct)
    {
        var deleted = 0L;
        foreach (var partition in (await EventPartitions.ListAsync(work, ct)).Where(p => p.Straddles(cutoff) && !p.DetachPending))
        {
            deleted += partition.IsPartitioned
                ? await DeleteByKeyAsync(work, partition.Name, cutoff, batchSize, step, ct)
                : await DeleteByBlocksAsync(work, partition.Name, cutoff, batchSize, step, ct);
        }

        return deleted;
    }

    // A plain table is walked in block ranges (a TID range scan): the events table has no index that leads with
    // timestamp, so a batch by timestamp alone would re-scan the partition from its start every time.
    private static async Task<long> DeleteByBlocksAsync(
        NpgsqlConnection work, string name, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct)
    {
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
            var window = (Low: new NpgsqlTid(checked((uint)low), 0), High: new NpgsqlTid(checked((uint)Math.Min(low + BlocksPerWindow, uint.MaxValue)), 0));
            deleted += await DeleteInBatchesAsync(work,
                $"""
                DELETE FROM {name} WHERE ctid = ANY (ARRAY(
                    SELECT ctid FROM {name}
                    WHERE ctid >= @low AND ctid < @high AND "timestamp" < @cutoff
                    LIMIT @batch))
                """, cutoff, batchSize, step, ct,
                new NpgsqlParameter<NpgsqlTid>("low", NpgsqlDbType.Tid) { TypedValue = window.Low },
                new NpgsqlParameter<NpgsqlTid>("high", NpgsqlDbType.Tid) { TypedValue = window.High });
        }

        return deleted;
    }

    // A partition that is itself partitioned has no heap of its own: batches by key, each a scan of what is left.
    private static Task<long> DeleteByKeyAsync(
        NpgsqlConnection work, string name, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct) =>
        DeleteInBatchesAsync(work,
            $"""
            DELETE FROM {name} WHERE (organisation_id, id, "timestamp") IN (
                SELECT organisation_id, id, "timestamp" FROM {name} WHERE "timestamp" < @cutoff LIMIT @batch)
            """, cutoff, batchSize, step, ct);

    private static Task<long> DeleteQuarantineAsync(
        NpgsqlConnection work, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct) =>
        DeleteInBatchesAsync(work,
            """
            DELETE FROM quarantine WHERE id = ANY (ARRAY(
                SELECT id FROM quarantine WHERE received_at < @cutoff ORDER BY received_at LIMIT @batch))
            """, cutoff, batchSize, step, ct);

    /// <summary>Runs a DELETE of at most <c>@batch</c> rows before <c>@cutoff</c> until one deletes fewer; each its own transaction.</summary>
    private static async Task<long> DeleteInBatchesAsync(
        NpgsqlConnection work, string sql, DateTimeOffset cutoff, int batchSize, Func<Task> step, CancellationToken ct,
        params NpgsqlParameter[] extra)
    {
        var deleted = 0L;
        int count;
        do
        {
            await step();
            await using var delete = new NpgsqlCommand(sql, work);
            foreach (var p in extra)
            {
                delete.Parameters.Add(p.Clone());
            }

            delete.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff });
            delete.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
            count = await delete.ExecuteNonQueryAsync(ct);
            deleted += count;
        }
        while (count == batchSize);

        return deleted;
    }

    private async Task SaveAsync(RetentionRun run, CancellationToken ct)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                """
                INSERT INTO retention_runs (id, started_at, finished_at, duration_ms, cutoff, partitions_dropped,
                                            rows_deleted, quarantine_deleted, skipped, purge_blocked, error)
                VALUES (@id, @started_at, @finished_at, @duration_ms, @cutoff, @partitions_dropped,
                        @rows_deleted, @quarantine_deleted, @skipped, @purge_blocked, @error)
                ON CONFLICT (id) DO UPDATE SET
                    started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at,
                    duration_ms = EXCLUDED.duration_ms, cutoff = EXCLUDED.cutoff,
                    partitions_dropped = EXCLUDED.partitions_dropped, rows_deleted = EXCLUDED.rows_deleted,
                    quarantine_deleted = EXCLUDED.quarantine_deleted, skipped = EXCLUDED.skipped,
                    purge_blocked = EXCLUDED.purge_blocked, error = EXCLUDED.error
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
            p.Add(new NpgsqlParameter("purge_blocked", NpgsqlDbType.Text) { Value = (object?)run.PurgeBlocked ?? DBNull.Value });
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: events has a DEFAULT partition {Default}, and PostgreSQL refuses DETACH ... CONCURRENTLY while one exists; detaching {Partitions} partitions with a plain DETACH under a short lock timeout instead, and purging the DEFAULT partition by batched deletes")]
    private partial void LogPlainDetach(string @default, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: this instance refuses to purge: {Reason}")]
    private partial void LogBlocked(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention round skipped: another instance holds the purge lock (cutoff {Cutoff:o})")]
    private partial void LogSkipped(DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Error, Message = "Retention round failed (cutoff {Cutoff:o}); it runs again next round")]
    private partial void LogFailed(Exception exception, DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention round cancelled (cutoff {Cutoff:o}); what it removed stays removed, the rest waits for the next round")]
    private partial void LogCancelled(DateTimeOffset cutoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention: could not record the round in retention_runs")]
    private partial void LogNotSaved(Exception exception);
}

/// <summary>Whether this instance may purge now (<paramref name="Blocked"/> null) and the cutoff by the database's clock.</summary>
/// <param name="Skew">This instance's clock minus the database's.</param>
public sealed record PurgeCheck(DateTimeOffset Cutoff, DateTimeOffset DatabaseNow, TimeSpan Skew, string? Blocked);
