using EventService.Domain.Events;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>An event on its way into the table: the validated event, the id to write (null: the sequence assigns one), and who posted it when.</summary>
public readonly record struct NewEvent(ValidatedEvent Event, long? Id, DateTimeOffset ReceivedAt, long? ProducerId);

/// <summary>One column of <c>events</c>: its name, its PostgreSQL type, where its value comes from, and whether reads return it.</summary>
public abstract class EventColumn(string name, NpgsqlDbType type, bool returned)
{
    public string Name { get; } = name;

    /// <summary>The quoted identifier (<c>timestamp</c> is a keyword).</summary>
    public string Sql { get; } = $"\"{name}\"";

    public NpgsqlDbType Type { get; } = type;

    /// <summary>Whether a read returns it (what <see cref="EventView"/> holds, in this order).</summary>
    public bool Returned { get; } = returned;

    /// <summary>What the insert writes for a null value; null means NULL.</summary>
    public string? WhenNull { get; init; }

    public abstract Type ClrType { get; }

    /// <summary>The column's values for the rows, as one array parameter named after the column.</summary>
    public abstract NpgsqlParameter ArrayParameter(IReadOnlyList<NewEvent> rows);

    /// <summary>The row's value, boxed (the answer to a POST, literals for the bench).</summary>
    public abstract object? Value(in NewEvent row);

    /// <summary>Writes the row's value as the next field of a binary COPY row.</summary>
    public abstract Task WriteAsync(NpgsqlBinaryImporter import, NewEvent row, CancellationToken ct);

    /// <summary>Reads the column's value at <paramref name="ordinal"/>, boxed.</summary>
    public abstract object? Read(NpgsqlDataReader reader, int ordinal);
}

/// <inheritdoc />
public sealed class EventColumn<T>(string name, NpgsqlDbType type, Func<NewEvent, T> get, bool returned = false)
    : EventColumn(name, type, returned)
{
    public override Type ClrType => typeof(T);

    public override NpgsqlParameter ArrayParameter(IReadOnlyList<NewEvent> rows)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = get(rows[i]);
        }

        return new NpgsqlParameter<T[]>(Name, NpgsqlDbType.Array | Type) { TypedValue = values };
    }

    public override object? Value(in NewEvent row) => get(row);

    public override Task WriteAsync(NpgsqlBinaryImporter import, NewEvent row, CancellationToken ct) =>
        get(row) is { } value ? import.WriteAsync(value, Type, ct) : import.WriteNullAsync(ct);

    public override object? Read(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<T>(ordinal);
}
