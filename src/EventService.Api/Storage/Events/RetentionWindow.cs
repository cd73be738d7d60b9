using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>How long events are kept (the <c>Retention</c> section's <c>Period</c>).</summary>
public sealed class RetentionPeriodOptions
{
    public const string Section = "Retention";

    /// <summary>
    /// How long events (and quarantined items) are kept, as this instance's configuration says: it seeds the stored
    /// period on the first start; an instance whose value differs from the stored one does not purge.
    /// </summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// The retention rule, written once: an event older than <see cref="Period"/> before now lies before the cutoff.
/// Ingest's acceptance window, the purge, the partitions kept, the counts read and the admin view all take their
/// cutoff from here. The period is the one stored in the database (<c>retention_settings</c>), the same for every
/// instance; this instance's configured period only seeds it. The purge applies the rule to the database's clock
/// (see RetentionPurger); everything else to this instance's, which the purge checks against the database's.
/// </summary>
public sealed class RetentionWindow(IOptions<RetentionPeriodOptions> options, TimeProvider time, NpgsqlDataSource dataSource)
{
    /// <summary>Shortest period the admin API accepts.</summary>
    public static readonly TimeSpan MinPeriod = TimeSpan.FromDays(1);

    /// <summary>Longest period the admin API accepts.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(3650);

    private const string LoadSql =
        """
        INSERT INTO retention_settings (id, period, updated_at) VALUES (@id, @period, now())
        ON CONFLICT (id) DO UPDATE SET period = retention_settings.period -- changes nothing; returns the stored row,
        RETURNING period                                                -- also to an instance that waited on another's first insert
        """;

    private const string StoreSql =
        """
        INSERT INTO retention_settings (id, period, updated_at) VALUES (@id, @period, now())
        ON CONFLICT (id) DO UPDATE SET period = EXCLUDED.period, updated_at = EXCLUDED.updated_at
        """;

    // The stored period as last read, in ticks; 0 until the first read (the configured period stands in).
    private long storedTicks;

    /// <summary>The stored period as this instance last read it (at startup, every retention round, and on its own change).</summary>
    public TimeSpan Period => Volatile.Read(ref storedTicks) is var ticks and not 0 ? TimeSpan.FromTicks(ticks) : ConfiguredPeriod;

    /// <summary>This instance's <c>Retention:Period</c>.</summary>
    public TimeSpan ConfiguredPeriod => options.Value.Period;

    /// <summary>The cutoff at <paramref name="now"/>: older events are refused by ingest and removed by the purge.</summary>
    public DateTimeOffset CutoffAt(DateTimeOffset now) => now - Period;

    /// <summary>The cutoff now, by the injected clock.</summary>
    public DateTimeOffset Cutoff => CutoffAt(time.GetUtcNow());

    /// <summary>The first UTC day that holds events still kept at <paramref name="now"/>.</summary>
    public DateOnly FirstDayAt(DateTimeOffset now) => DateOnly.FromDateTime(CutoffAt(now).UtcDateTime);

    /// <summary>Reads the stored period, storing the configured one first when there is none (the first start).</summary>
    public async Task<TimeSpan> LoadAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(LoadSql);
        AddParameters(command.Parameters, ConfiguredPeriod);
        var period = (TimeSpan)(await command.ExecuteScalarAsync(ct))!;
        Volatile.Write(ref storedTicks, period.Ticks);
        return period;
    }

    /// <summary>Stores a new period for every instance; this one uses it at once, the others from their next round.</summary>
    public async Task StoreAsync(TimeSpan period, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(StoreSql);
        AddParameters(command.Parameters, period);
        await command.ExecuteNonQueryAsync(ct);
        Volatile.Write(ref storedTicks, period.Ticks);
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, TimeSpan period)
    {
        parameters.Add(new NpgsqlParameter<int>("id", NpgsqlDbType.Integer) { TypedValue = RetentionSetting.OnlyId });
        parameters.Add(new NpgsqlParameter<TimeSpan>("period", NpgsqlDbType.Interval) { TypedValue = period });
    }
}
