using System.Text;
using EventService.Domain.Events;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>
/// The one column map of <c>events</c>: the insert's column list and arrays, the SELECT list and its reader, the
/// answer to a POST and the benchmark's COPY are all made from <see cref="Columns"/>. A new column is a property of
/// <see cref="ValidatedEvent"/>, a row here and a migration (and, when reads return it, a property of
/// <see cref="EventView"/> and a line in <see cref="EventJson"/>); <c>EventColumnMapTests</c> fails when the map,
/// the table, the EF model and the view disagree.
/// </summary>
public static class EventTable
{
    public const string Name = "events";

    public const string IdSequence = "event_id_seq";

    /// <summary>First id the service assigns to an event posted without one: above emnify's ids, below 2^53 for JavaScript clients.</summary>
    public const long FirstAssignedId = 8_000_000_000_000_000;

    public static IReadOnlyList<EventColumn> Columns { get; } =
    [
        new EventColumn<long?>("id", NpgsqlDbType.Bigint, r => r.Id, returned: true) { WhenNull = $"nextval('{IdSequence}')" },
        new EventColumn<DateTimeOffset>("timestamp", NpgsqlDbType.TimestampTz, r => r.Event.Timestamp, returned: true),
        new EventColumn<DateTimeOffset>("received_at", NpgsqlDbType.TimestampTz, r => r.ReceivedAt),
        new EventColumn<int>("event_type_id", NpgsqlDbType.Integer, r => r.Event.TypeId, returned: true),
        new EventColumn<short>("severity", NpgsqlDbType.Smallint, r => (short)r.Event.Severity, returned: true),
        new EventColumn<short>("source", NpgsqlDbType.Smallint, r => (short)r.Event.Source, returned: true),
        new EventColumn<bool>("alert", NpgsqlDbType.Boolean, r => r.Event.Alert, returned: true),
        new EventColumn<string?>("description", NpgsqlDbType.Text, r => r.Event.Description, returned: true),
        new EventColumn<long>("organisation_id", NpgsqlDbType.Bigint, r => r.Event.OrganisationId),
        new EventColumn<long?>("user_id", NpgsqlDbType.Bigint, r => r.Event.UserId),
        new EventColumn<long?>("endpoint_id", NpgsqlDbType.Bigint, r => r.Event.EndpointId),
        new EventColumn<long?>("sim_id", NpgsqlDbType.Bigint, r => r.Event.SimId),
        new EventColumn<long?>("imsi_id", NpgsqlDbType.Bigint, r => r.Event.ImsiId),
        new EventColumn<string?>("iccid", NpgsqlDbType.Text, r => r.Event.Iccid),
        new EventColumn<string?>("imsi", NpgsqlDbType.Text, r => r.Event.Imsi),
        new EventColumn<string?>("imei", NpgsqlDbType.Text, r => r.Event.Imei),
        new EventColumn<string?>("ip_address", NpgsqlDbType.Text, r => r.Event.IpAddress),
        new EventColumn<string?>("user_name", NpgsqlDbType.Text, r => r.Event.UserName),
        new EventColumn<string?>("endpoint_name", NpgsqlDbType.Text, r => r.Event.EndpointName),
        new EventColumn<string?>("tags", NpgsqlDbType.Text, r => r.Event.Tags),
        new EventColumn<string?>("network", NpgsqlDbType.Text, r => r.Event.Network),
        new EventColumn<string?>("country", NpgsqlDbType.Text, r => r.Event.Country),
        new EventColumn<short?>("rat_type", NpgsqlDbType.Smallint, r => r.Event.RatType),
        new EventColumn<string>("entities", NpgsqlDbType.Jsonb, r => r.Event.EntitiesJson, returned: true),
        new EventColumn<string?>("detail", NpgsqlDbType.Jsonb, r => r.Event.DetailJson, returned: true),
        new EventColumn<string?>("extra", NpgsqlDbType.Jsonb, r => r.Event.ExtraJson, returned: true),
        new EventColumn<long?>("producer_id", NpgsqlDbType.Bigint, r => r.ProducerId),
    ];

    /// <summary>The columns a read returns, in <see cref="EventView"/>'s order.</summary>
    public static IReadOnlyList<EventColumn> Returned { get; } = Columns.Where(c => c.Returned).ToArray();

    /// <summary>Every column, comma-separated, for an INSERT or a COPY.</summary>
    public static string ColumnList { get; } = string.Join(", ", Columns.Select(c => c.Sql));

    /// <summary>The SELECT list of what reads return, over the table alias <c>e</c>.</summary>
    public static string SelectList { get; } = string.Join(", ", Returned.Select(c => "e." + c.Sql));

    public static string CopyCommand { get; } = CopyInto(Name);

    /// <summary>A binary COPY of every column into <paramref name="table"/> (events or one of its partitions), rows by <see cref="WriteRowAsync"/>.</summary>
    public static string CopyInto(string table) => $"COPY {table} ({ColumnList}) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// The insert of a batch: one array parameter per column, unnested; ids the producer left out come from the
    /// sequence; an event already stored (same organisation, id and timestamp) is skipped. One row per input row, in
    /// input order: the id written and whether the row was new.
    /// </summary>
    public static string InsertSql { get; } = BuildInsert();

    /// <summary>The insert's parameters for <paramref name="rows"/> (see <see cref="InsertSql"/>).</summary>
    public static NpgsqlBatchCommand InsertCommand(IReadOnlyList<NewEvent> rows)
    {
        var command = new NpgsqlBatchCommand(InsertSql);
        foreach (var column in Columns)
        {
            command.Parameters.Add(column.ArrayParameter(rows));
        }

        return command;
    }

    /// <summary>What a read of the stored event would return, without reading it (the answer to a POST).</summary>
    public static EventView View(ValidatedEvent e, long id) => View(new NewEvent(e, id, default, null));

    /// <summary>What a read of the row would return, without reading it.</summary>
    public static EventView View(in NewEvent row)
    {
        var values = new object?[Returned.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Returned[i].Value(row);
        }

        return EventView.FromValues(values);
    }

    /// <summary>Reads the current row of a query whose first columns are <see cref="SelectList"/>.</summary>
    public static EventView Read(NpgsqlDataReader reader)
    {
        var values = new object?[Returned.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Returned[i].Read(reader, i);
        }

        return EventView.FromValues(values);
    }

    /// <summary>One binary COPY row of <see cref="CopyCommand"/>.</summary>
    public static async Task WriteRowAsync(NpgsqlBinaryImporter import, NewEvent row, CancellationToken ct)
    {
        await import.StartRowAsync(ct);
        foreach (var column in Columns)
        {
            await column.WriteAsync(import, row, ct);
        }
    }

    private static string BuildInsert()
    {
        var unnested = string.Join(", ", Columns.Select(c => c.WhenNull is null ? "u." + c.Sql : $"COALESCE(u.{c.Sql}, {c.WhenNull}) AS {c.Sql}"));
        var parameters = string.Join(", ", Columns.Select(c => "@" + c.Name));
        var sql = new StringBuilder();
        sql.Append($"WITH src AS (SELECT u.ord, {unnested} FROM unnest({parameters}) WITH ORDINALITY AS u({ColumnList}, ord)), ");
        // One lock order for overlapping batches, so that redeliveries do not deadlock.
        sql.Append($"""ins AS (INSERT INTO {Name} ({ColumnList}) SELECT {ColumnList} FROM src ORDER BY "id", "timestamp" """);
        sql.Append("""ON CONFLICT DO NOTHING RETURNING "id", "timestamp", "organisation_id") """);
        sql.Append("""SELECT src."id", ins."id" IS NOT NULL FROM src LEFT JOIN ins ON ins."id" = src."id" AND ins."timestamp" = src."timestamp" """);
        sql.Append("""AND ins."organisation_id" = src."organisation_id" ORDER BY src.ord""");
        return sql.ToString();
    }
}
