using System.Globalization;
using EventService.Api.Retention;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage;

/// <summary>Creates the daily partitions of <c>events</c> that the acceptance window and the lead time need.</summary>
public sealed partial class PartitionManager(
    NpgsqlDataSource dataSource,
    IOptions<RetentionOptions> retention,
    IOptions<StorageOptions> storage,
    ILogger<PartitionManager> logger)
{
    private const long AdvisoryLockKey = 0x4556_5450_4152_5431; // "EVTPART1": serialises instances creating partitions

    public static string PartitionName(DateOnly day) => $"events_p{day:yyyyMMdd}";

    /// <summary>Ensures one partition per UTC day from the oldest accepted day to <paramref name="now"/> plus the lead time.</summary>
    /// <returns>The number of partitions created.</returns>
    public Task<int> EnsurePartitionsAsync(DateTimeOffset now, CancellationToken ct) => EnsurePartitionsAsync(now, null, ct);

    /// <inheritdoc cref="EnsurePartitionsAsync(DateTimeOffset, CancellationToken)"/>
    /// <param name="lockTimeout">When set, the longest a CREATE waits for its lock on events before the call fails.</param>
    public async Task<int> EnsurePartitionsAsync(DateTimeOffset now, TimeSpan? lockTimeout, CancellationToken ct)
    {
        var first = DateOnly.FromDateTime((now - retention.Value.Period).UtcDateTime);
        var last = DateOnly.FromDateTime((now + storage.Value.PartitionLeadTime).UtcDateTime);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, tx))
        {
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey);
            await lockCommand.ExecuteNonQueryAsync(ct);
        }

        if (lockTimeout is { } timeout)
        {
            await using var setting = new NpgsqlCommand("SELECT set_config('lock_timeout', @value, true)", connection, tx);
            setting.Parameters.AddWithValue("value", $"{(int)timeout.TotalMilliseconds}ms");
            await setting.ExecuteNonQueryAsync(ct);
        }

        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using (var list = new NpgsqlCommand(
            """
            SELECT c.relname
            FROM pg_inherits i
            JOIN pg_class c ON c.oid = i.inhrelid
            JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname = 'events'
            """, connection, tx))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                existing.Add(reader.GetString(0));
            }
        }

        var created = 0;
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var name = PartitionName(day);
            if (existing.Contains(name))
            {
                continue;
            }

            // DDL takes no parameters: the name and bounds are formatted from a DateOnly, never from input.
            var from = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = day.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            await using var create = new NpgsqlCommand(
                $"""
                CREATE TABLE IF NOT EXISTS {name} PARTITION OF events
                FOR VALUES FROM ('{from} 00:00:00+00') TO ('{to} 00:00:00+00')
                """, connection, tx);
            await create.ExecuteNonQueryAsync(ct);
            created++;
        }

        await tx.CommitAsync(ct);
        if (created > 0)
        {
            LogCreated(created, first, last);
        }

        return created;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Partitions} daily partitions of events; they now cover {First:yyyy-MM-dd} to {Last:yyyy-MM-dd}")]
    private partial void LogCreated(int partitions, DateOnly first, DateOnly last);
}
