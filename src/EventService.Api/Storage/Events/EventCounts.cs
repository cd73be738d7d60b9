using System.Text;
using EventService.Domain.Queries;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>
/// The hourly counts of <c>events</c> per organisation, and every rule that keeps them exact.
/// </summary>
/// <remarks>
/// <para><b>The invariant.</b> For every organisation and UTC hour at or after <see cref="CountedFrom"/>, the number
/// of its committed events in that hour equals <c>event_counts.events</c> plus the sum of its
/// <c>event_count_deltas</c> rows: each committed insert, update or delete through <c>events</c> is counted exactly
/// once, in one of the two tables.</para>
/// <para>Who keeps it:</para>
/// <list type="bullet">
/// <item>the statement triggers on <c>events</c> (migration <c>ListsAndCounts</c>) append one delta per organisation
/// and hour in the writing transaction, so a rolled-back write counts nothing and concurrent writers take no row lock;</item>
/// <item><see cref="CompactSql"/> (run by <see cref="EventCountsCompactor"/>) moves the deltas its snapshot sees
/// into <c>event_counts</c> in one statement, so a reader sees each delta before or after, never twice;</item>
/// <item>the purge deletes from partitions directly, past the triggers, but only rows before its cutoff, and then
/// removes the counts of those hours (<see cref="PurgeSql"/>): no count is read for an hour before
/// <see cref="CountedFrom"/>, which lies after the cutoff's hour;</item>
/// <item><see cref="CountFromHours"/> reads whole hours from the counts and the partial hours at a window's ends,
/// and every hour before <see cref="CountedFrom"/>, from the events themselves.</item>
/// </list>
/// </remarks>
public static class EventCounts
{
    /// <summary>Folds every committed delta into <c>event_counts</c>; returns how many hour rows it added to or created.</summary>
    public const string CompactSql =
        """
        WITH moved AS (DELETE FROM event_count_deltas RETURNING organisation_id, hour, events)
        INSERT INTO event_counts AS c (organisation_id, hour, events)
        SELECT organisation_id, hour, sum(events) FROM moved GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (organisation_id, hour) DO UPDATE SET events = c.events + excluded.events
        """;

    /// <summary>Removes the counts of the hours before the purge cutoff's hour (parameter <c>@cutoff</c>).</summary>
    public const string PurgeSql =
        """
        DELETE FROM event_counts WHERE hour < date_trunc('hour', @cutoff, 'UTC');
        DELETE FROM event_count_deltas WHERE hour < date_trunc('hour', @cutoff, 'UTC');
        """;

    /// <summary>
    /// The first hour whose count the counts answer: the hour after the one that holds the retention cutoff, and one
    /// more for clocks that differ between instances. Earlier events (normally the purge's last hour or two) are
    /// counted from the index.
    /// </summary>
    public static DateTimeOffset CountedFrom(DateTimeOffset cutoff) => FloorHour(cutoff) + TimeSpan.FromHours(2);

    /// <summary>
    /// The exact count of a whole organisation's events in the filter's time window from the hourly counts and the
    /// window's partial hours, or null when the counts cannot answer it (a scope narrower than the organisation, a
    /// condition besides the window, or a window without a whole counted hour).
    /// </summary>
    public static NpgsqlBatchCommand? CountFromHours(EventScope scope, EventFilter f, DateTimeOffset countedFrom)
    {
        if (!scope.IsWholeOrganisation || !f.IsTimeWindowOnly)
        {
            return null;
        }

        // Whole hours [a, b) come from the counts; [from, a) and [b, until] from the index.
        var a = f.From is { } from && CeilingHour(from) > countedFrom ? CeilingHour(from) : countedFrom;
        DateTimeOffset? b = f.Until is { } until ? FloorHour(until) : null;
        if (a >= b)
        {
            return null;
        }

        var hours = b is null ? "organisation_id = @org AND hour >= @a" : "organisation_id = @org AND hour >= @a AND hour < @b";
        var sql = new StringBuilder(
            $"""
            SELECT COALESCE((SELECT sum(events) FROM event_counts WHERE {hours}), 0)::bigint
                 + COALESCE((SELECT sum(events) FROM event_count_deltas WHERE {hours}), 0)::bigint
            """);
        sql.Append(""" + (SELECT count(*) FROM events e WHERE e.organisation_id = @org AND e."timestamp" < @a""");
        sql.Append(f.From is null ? ")" : """ AND e."timestamp" >= @from)""");
        if (b is not null)
        {
            sql.Append(""" + (SELECT count(*) FROM events e WHERE e.organisation_id = @org AND e."timestamp" >= @b AND e."timestamp" """)
                .Append(f.UntilExclusive ? "< @until)" : "<= @until)");
        }

        var command = new NpgsqlBatchCommand(sql.ToString());
        command.Parameters.Add(new NpgsqlParameter<long>("org", NpgsqlDbType.Bigint) { TypedValue = scope.OrganisationId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("a", NpgsqlDbType.TimestampTz) { TypedValue = a });
        if (b is { } end)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("b", NpgsqlDbType.TimestampTz) { TypedValue = end });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("until", NpgsqlDbType.TimestampTz) { TypedValue = f.Until!.Value });
        }

        if (f.From is { } start)
        {
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("from", NpgsqlDbType.TimestampTz) { TypedValue = start });
        }

        return command;
    }

    public static DateTimeOffset FloorHour(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    // In the calendar's last hour there is no next one: the end of time stands for it (no whole hour follows).
    public static DateTimeOffset CeilingHour(DateTimeOffset t) =>
        t.UtcTicks % TimeSpan.TicksPerHour == 0 ? t.ToUniversalTime()
        : FloorHour(t) >= FloorHour(DateTimeOffset.MaxValue) ? DateTimeOffset.MaxValue
        : FloorHour(t) + TimeSpan.FromHours(1);
}
