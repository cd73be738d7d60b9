using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>
/// A partition of <c>events</c> as PostgreSQL bounds it. Retention is decided from these bounds, never from a name:
/// an operator's, a restore's or another tool's partition is purged like the service's own daily ones.
/// </summary>
/// <param name="Name">The table's name as PostgreSQL quotes it (<c>oid::regclass::text</c>): safe to put into DDL.</param>
/// <param name="From">Inclusive lower bound; null for MINVALUE or for the DEFAULT partition.</param>
/// <param name="To">Exclusive upper bound; null for MAXVALUE or for the DEFAULT partition.</param>
/// <param name="IsPartitioned">Itself partitioned (no heap of its own to walk by block ranges).</param>
/// <param name="DetachPending">A DETACH ... CONCURRENTLY was interrupted between its two transactions.</param>
public sealed record EventPartition(uint Oid, string Name, DateTimeOffset? From, DateTimeOffset? To, bool IsDefault, bool IsPartitioned, bool DetachPending)
{
    /// <summary>Every row it can hold is older than <paramref name="cutoff"/>: detach and drop it.</summary>
    public bool WhollyBefore(DateTimeOffset cutoff) => !IsDefault && To is { } to && to <= cutoff;

    /// <summary>It can hold rows on both sides of <paramref name="cutoff"/>: delete its older rows in batches.</summary>
    public bool Straddles(DateTimeOffset cutoff) => !WhollyBefore(cutoff) && (IsDefault || From is null || From < cutoff);

    /// <summary>Its range meets [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool Overlaps(DateTimeOffset from, DateTimeOffset to) => !IsDefault && (From is null || From < to) && (To is null || To > from);
}

/// <summary>A partition the purge recorded before detaching it, to be dropped (also by a later round after a crash).</summary>
public sealed record PartitionDropRecord(uint Oid, string Name);

/// <summary>
/// The partition catalogue of <c>events</c>: lists partitions by their bounds, creates the daily ones that the
/// retention window and the lead time need, detaches and drops. The purge orchestrates; only this type writes
/// partition DDL.
/// </summary>
public sealed partial class EventPartitions(
    NpgsqlDataSource dataSource,
    RetentionWindow retention,
    IOptions<StorageOptions> storage,
    ILogger<EventPartitions> logger)
{
    private const long AdvisoryLockKey = 0x4556_5450_4152_5431; // "EVTPART1": serialises instances creating partitions

    /// <summary>The name the service gives the partition of one UTC day.</summary>
    public static string DailyName(DateOnly day) => $"events_p{day:yyyyMMdd}";

    /// <summary>
    /// Every attached partition of <c>events</c> (also one whose detach is pending), oldest range first, the DEFAULT
    /// partition last. Bounds are read with <c>pg_get_expr(relpartbound)</c> under <c>TimeZone=UTC</c>.
    /// </summary>
    public static async Task<List<EventPartition>> ListAsync(NpgsqlConnection connection, CancellationToken ct, NpgsqlTransaction? tx = null)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT set_config('TimeZone', 'UTC', false);
            SELECT c.oid, c.oid::regclass::text, c.relkind = 'p', b.expr = 'DEFAULT',
                   (regexp_match(b.expr, $$FROM \('([^']*)'\)$$))[1]::timestamptz,
                   (regexp_match(b.expr, $$TO \('([^']*)'\)$$))[1]::timestamptz,
                   i.inhdetachpending
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS expr) b
            WHERE i.inhparent = 'events'::regclass
            """, connection, tx);
        var partitions = new List<EventPartition>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            partitions.Add(new EventPartition(
                reader.GetFieldValue<uint>(0), reader.GetString(1),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                reader.GetBoolean(3), reader.GetBoolean(2), reader.GetBoolean(6)));
        }

        return partitions.OrderBy(p => p.IsDefault).ThenBy(p => p.From ?? DateTimeOffset.MinValue).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Ensures that every UTC day from the retention window's first to <paramref name="now"/> plus the lead time lies
    /// in a partition: a day no partition's range meets gets a daily one.
    /// </summary>
    /// <param name="lockTimeout">When set, the longest the ATTACH waits for its lock on events before the call fails.</param>
    /// <returns>The number of partitions created.</returns>
    public async Task<int> EnsureAsync(DateTimeOffset now, TimeSpan? lockTimeout, CancellationToken ct)
    {
        var first = retention.FirstDayAt(now);
        var last = DateOnly.FromDateTime((now + storage.Value.PartitionLeadTime).UtcDateTime);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(@key)", ct, tx, new NpgsqlParameter<long>("key", AdvisoryLockKey));
        if (lockTimeout is { } timeout)
        {
            await ExecuteAsync(connection, "SELECT set_config('lock_timeout', @value, true)", ct, tx, new NpgsqlParameter<string>("value", Milliseconds(timeout)));
        }

        var existing = await ListAsync(connection, ct, tx);
        var fallback = existing.FirstOrDefault(p => p.IsDefault);
        var created = 0;
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var from = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            var to = from.AddDays(1);
            if (existing.Any(p => p.Overlaps(from, to)))
            {
                continue;
            }

            var name = DailyName(day);
            if (await ScalarAsync<bool>(connection, "SELECT to_regclass(@name) IS NOT NULL", ct, tx, new NpgsqlParameter<string>("name", name)))
            {
                // A table of that name that is no partition of events (an operator's, or one a purge detached and
                // has not dropped yet): never attach rows nobody vouched for.
                LogNameTaken(name);
                continue;
            }

            if (fallback is not null && await ScalarAsync<bool>(connection,
                    $"""SELECT EXISTS (SELECT 1 FROM {fallback.Name} WHERE "timestamp" >= @from AND "timestamp" < @to)""", ct, tx,
                    new NpgsqlParameter<DateTimeOffset>("from", from), new NpgsqlParameter<DateTimeOffset>("to", to)))
            {
                // ATTACH would fail: the DEFAULT partition holds rows of that day, which stay there.
                LogDayInDefault(day, fallback.Name);
                continue;
            }

            // CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE on events, queueing every insert and read behind
            // any long query; ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE, which neither conflicts with. DDL takes
            // no parameters: the name and bounds are formatted from a DateOnly, never from input.
            var bounds = string.Create(CultureInfo.InvariantCulture, $"FROM ('{from:yyyy-MM-dd} 00:00:00+00') TO ('{to:yyyy-MM-dd} 00:00:00+00')");
            await ExecuteAsync(connection, $"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)", ct, tx);
            await ExecuteAsync(connection, $"ALTER TABLE events ATTACH PARTITION {name} FOR VALUES {bounds}", ct, tx);
            created++;
        }

        await tx.CommitAsync(ct);
        if (created > 0)
        {
            LogCreated(created, first, last);
        }

        return created;
    }

    /// <summary>Records a partition that is about to be detached, so that a round after a crash still drops it.</summary>
    public static Task RecordDropAsync(NpgsqlConnection connection, EventPartition partition, DateTimeOffset now, CancellationToken ct) =>
        ExecuteAsync(connection,
            "INSERT INTO event_partition_drops (table_oid, table_name, recorded_at) VALUES (@oid, @name, @now) ON CONFLICT (table_oid) DO NOTHING", ct, null,
            new NpgsqlParameter<long>("oid", partition.Oid), new NpgsqlParameter<string>("name", partition.Name),
            new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });

    public static async Task<List<PartitionDropRecord>> RecordedDropsAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT table_oid, table_name FROM event_partition_drops ORDER BY recorded_at, table_oid", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var records = new List<PartitionDropRecord>();
        while (await reader.ReadAsync(ct))
        {
            records.Add(new PartitionDropRecord(checked((uint)reader.GetInt64(0)), reader.GetString(1)));
        }

        return records;
    }

    /// <summary>
    /// Detaches a partition: CONCURRENTLY (SHARE UPDATE EXCLUSIVE on events, which neither inserts nor reads conflict
    /// with) unless <paramref name="concurrently"/> is false, FINALIZE when an earlier concurrent detach was interrupted.
    /// A plain DETACH takes ACCESS EXCLUSIVE on events: the caller bounds it with a short lock timeout.
    /// </summary>
    public static Task DetachAsync(NpgsqlConnection connection, EventPartition partition, bool concurrently, CancellationToken ct) =>
        ExecuteAsync(connection,
            $"ALTER TABLE events DETACH PARTITION {partition.Name}{(partition.DetachPending ? " FINALIZE" : concurrently ? " CONCURRENTLY" : "")}", ct);

    /// <summary>
    /// Finishes a recorded drop: drops the table when it is still the one recorded (same oid and name) and no longer a
    /// partition of events, finalizes an interrupted concurrent detach first, and forgets the record. A recorded table
    /// that is still attached is only forgotten: its bounds decide again. Returns whether a table was dropped.
    /// </summary>
    public static async Task<bool> FinishDropAsync(NpgsqlConnection connection, PartitionDropRecord record, CancellationToken ct)
    {
        var dropped = false;
        await using (var command = new NpgsqlCommand(
            """
            SELECT c.oid::regclass::text, i.inhrelid IS NOT NULL, COALESCE(i.inhdetachpending, false)
            FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid AND i.inhparent = 'events'::regclass
            WHERE c.oid = @oid
            """, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<uint>("oid", NpgsqlDbType.Oid) { TypedValue = record.Oid });
            string? name = null;
            bool attached = false, pending = false;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    (name, attached, pending) = (reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2));
                }
            }

            if (name == record.Name && (!attached || pending))
            {
                if (pending)
                {
                    await ExecuteAsync(connection, $"ALTER TABLE events DETACH PARTITION {name} FINALIZE", ct);
                }

                // A table of its own now: dropping it locks nothing but itself.
                await ExecuteAsync(connection, $"DROP TABLE {name}", ct);
                dropped = true;
            }
        }

        await ExecuteAsync(connection, "DELETE FROM event_partition_drops WHERE table_oid = @oid", ct, null, new NpgsqlParameter<long>("oid", record.Oid));
        return dropped;
    }

    /// <summary>
    /// The oldest event kept: the smallest timestamp in the oldest bounded partition that holds a row, or in the
    /// DEFAULT partition when that is older.
    /// </summary>
    public async Task<DateTimeOffset?> OldestEventAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        DateTimeOffset? oldest = null;
        foreach (var partition in (await ListAsync(connection, ct)).Where(p => !p.DetachPending))
        {
            if (!partition.IsDefault && oldest is not null)
            {
                continue;
            }

            // REVIEW: with no index leading with timestamp this scans one partition; cheap for an admin call at today's
            // volumes, a roll-up or a BRIN index on timestamp would make it free.
            if (await ScalarAsync<object>(connection, $"""SELECT min("timestamp") FROM {partition.Name}""", ct, null) is DateTime min)
            {
                var found = new DateTimeOffset(DateTime.SpecifyKind(min, DateTimeKind.Utc));
                oldest = oldest is { } o && o <= found ? o : found;
            }
        }

        return oldest;
    }

    internal static string Milliseconds(TimeSpan t) => $"{(int)Math.Ceiling(t.TotalMilliseconds)}ms";

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, NpgsqlTransaction? tx = null, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct, NpgsqlTransaction? tx, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        command.Parameters.AddRange(parameters);
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Partitions} daily partitions of events; they now cover {First:yyyy-MM-dd} to {Last:yyyy-MM-dd}")]
    private partial void LogCreated(int partitions, DateOnly first, DateOnly last);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No partition made for {Partition}: a table of that name exists and is no partition of events")]
    private partial void LogNameTaken(string partition);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No partition made for {Day:yyyy-MM-dd}: the DEFAULT partition {Default} holds rows of that day, which stay there")]
    private partial void LogDayInDefault(DateOnly day, string @default);
}
