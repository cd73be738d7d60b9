using EventService.Domain.Events;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage.Events;

/// <summary>A rejected item on its way to the quarantine; <paramref name="OrganisationId"/> is the organisation whose own auth token posted it (null for a producer's post).</summary>
public sealed record QuarantineEntry(int ItemIndex, long? EventId, string ErrorsJson, string Payload, bool PayloadTruncated, long? OrganisationId);

/// <summary>
/// One request's share of a write: its validated events (no two with the same id and timestamp), its rejected
/// items, and who posted them when.
/// </summary>
public sealed record WritePart(IReadOnlyList<ValidatedEvent> Events, IReadOnlyList<QuarantineEntry> Rejected, long? ProducerId, DateTimeOffset ReceivedAt);

/// <summary>What became of one event handed to the writer.</summary>
/// <param name="Id">The producer's id, or the one the service assigned.</param>
/// <param name="Inserted">False when an event with the same id and timestamp was already stored.</param>
public readonly record struct WriteOutcome(long Id, bool Inserted);

/// <summary>
/// Writes the validated events and rejected items of one or more requests in one transaction, one statement each:
/// the events by <see cref="EventTable.InsertSql"/> (<c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING</c>,
/// which assigns missing ids and reports which rows were new). COPY cannot say ON CONFLICT or RETURNING, so the
/// array-parameter insert is the fast path here.
/// </summary>
public sealed class EventWriter(NpgsqlDataSource dataSource, EventPartitions partitions, TimeProvider time, IOptions<StorageOptions> options)
{
    // New organisations are inserted without locking known ones; a name is updated only when it changed, so
    // concurrent batches of one organisation do not queue behind each other's row locks.
    private const string InsertOrganisations =
        """
        INSERT INTO organisations (id, name, created_at, updated_at)
        SELECT u.id, u.name, @now, @now FROM unnest(@org_id, @org_name) AS u(id, name)
        ON CONFLICT (id) DO NOTHING
        """;

    private const string RenameOrganisations =
        """
        UPDATE organisations o SET name = u.name, updated_at = @now
        FROM unnest(@org_id, @org_name) AS u(id, name)
        WHERE o.id = u.id AND u.name IS NOT NULL AND o.name IS DISTINCT FROM u.name
        """;

    private const string InsertQuarantine =
        """
        INSERT INTO quarantine (received_at, producer_id, organisation_id, item_index, event_id, errors, payload, payload_truncated)
        SELECT u.received_at, u.producer_id, u.organisation_id, u.item_index, u.event_id, u.errors, u.payload, u.payload_truncated
        FROM unnest(@received_at, @producer_id, @organisation_id, @item_index, @event_id, @errors, @payload, @payload_truncated)
             AS u(received_at, producer_id, organisation_id, item_index, event_id, errors, payload, payload_truncated)
        """;

    /// <summary>
    /// Commits the events (no two with the same id and timestamp) and the quarantine entries together.
    /// Returns one outcome per event, in order. Throws when nothing was committed.
    /// </summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<ValidatedEvent> events, IReadOnlyList<QuarantineEntry> rejected, long? producerId, DateTimeOffset receivedAt, CancellationToken ct) =>
        (await WriteAsync([new WritePart(events, rejected, producerId, receivedAt)], ct))[0];

    /// <summary>
    /// Commits the parts of several requests in one transaction. An event whose id and timestamp an earlier part
    /// of the same call already holds is reported as a duplicate of it. Returns one outcome array per part, in
    /// order; throws when nothing was committed.
    /// </summary>
    public Task<WriteOutcome[][]> WriteAsync(IReadOnlyList<WritePart> parts, CancellationToken ct) =>
        BoundedAsync(token => WriteOnceAsync(parts, token), ct);

    /// <summary>
    /// Commits one request's part in an explicit transaction of its own, together with the request's keys: claims them
    /// first (a concurrent request with one of them waits on its unique index until this one commits or rolls back),
    /// writes, renders the answer from the outcomes with <paramref name="answer"/> and stores it in the keys, then
    /// commits. The events and the keys that answer for them commit together or not at all, so a retry finds either
    /// both or neither. When a key was answered before (or used for another body), or the answer is larger than
    /// <paramref name="maxAnswerBytes"/>, nothing is written. Throws when nothing was committed.
    /// </summary>
    public Task<KeyedWrite> WriteKeyedAsync(
        WritePart part, IReadOnlyList<RequestKey> keys, byte[] requestHash, int maxAnswerBytes,
        Func<WriteOutcome[], CancellationToken, Task<StoredAnswer>> answer, CancellationToken ct) =>
        BoundedAsync(token => WriteKeyedOnceAsync(part, keys, requestHash, maxAnswerBytes, answer, token), ct);

    private Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken ct)
    {
        // Storage:WriteCommandTimeout bounds the whole write (a first prepare on a new connection, which waits for
        // the tables' locks, a key's wait for a concurrent request with it, and a retry included), not just each
        // statement: by PostgreSQL's time, a real timer.
        return DatabaseTimeout.RunAsync(token => RetryingAsync(write, token), options.Value.WriteCommandTimeout,
            "The write (Storage:WriteCommandTimeout)", ct);
    }

    private async Task<T> RetryingAsync<T>(Func<CancellationToken, Task<T>> write, CancellationToken ct)
    {
        try
        {
            return await write(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
        {
            // Two batches renaming the same organisations in another order: nothing was committed, try once more.
            return await write(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && ex.TableName is "events")
        {
            // No partition for a timestamp inside the window: the daily maintenance has not run yet (a host
            // that slept, a clock that jumped). Create what is missing and try once more.
            await partitions.EnsureAsync(time.GetUtcNow(), null, ct);
            return await write(ct);
        }
    }

    private async Task<KeyedWrite> WriteKeyedOnceAsync(
        WritePart part, IReadOnlyList<RequestKey> keys, byte[] requestHash, int maxAnswerBytes,
        Func<WriteOutcome[], CancellationToken, Task<StoredAnswer>> answer, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // Disposed without a commit (an error, a cancelled request, nothing to write), it rolls back: the keys go with the events.
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await IdempotencyKeys.ClaimAsync(connection, keys, requestHash, time.GetUtcNow(), ct) is { } answered)
        {
            return answered;
        }

        var (outcomes, rows, rejected) = Plan([part]);
        await ExecuteAsync(connection, outcomes, rows, rejected, ct);
        var rendered = await answer(outcomes[0], ct);
        if (rendered.Body.Length > maxAnswerBytes)
        {
            return new KeyedWrite.AnswerTooLarge(rendered.Body.Length, maxAnswerBytes);
        }

        await IdempotencyKeys.StoreAsync(connection, keys, rendered, ct);
        await transaction.CommitAsync(ct);
        return new KeyedWrite.Committed(rendered);
    }

    private async Task<WriteOutcome[][]> WriteOnceAsync(IReadOnlyList<WritePart> parts, CancellationToken ct)
    {
        var (outcomes, rows, rejected) = Plan(parts);
        if (rows.Count == 0 && rejected.Count == 0)
        {
            return outcomes;
        }

        // One round trip: a batch outside an explicit transaction runs as one implicit transaction that PostgreSQL
        // commits at the batch's end (its single Sync), before it says ready; a failing statement rolls back all of
        // it. The reader is consumed to that point before any outcome is returned, so nothing is reported
        // written before it is durably committed.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await ExecuteAsync(connection, outcomes, rows, rejected, ct);
        return outcomes;
    }

    /// <summary>The rows to insert, in order, and the outcomes of the events that another part of the same call holds.</summary>
    private static (WriteOutcome[][] Outcomes, List<Row> Rows, List<(WritePart Part, QuarantineEntry Entry)> Rejected) Plan(IReadOnlyList<WritePart> parts)
    {
        var outcomes = new WriteOutcome[parts.Count][];
        var rows = new List<Row>();
        var rejected = new List<(WritePart Part, QuarantineEntry Entry)>();
        var seen = new Dictionary<(long, DateTimeOffset, long), int>();
        for (var p = 0; p < parts.Count; p++)
        {
            var part = parts[p];
            outcomes[p] = new WriteOutcome[part.Events.Count];
            for (var i = 0; i < part.Events.Count; i++)
            {
                var e = part.Events[i];
                if (e.Id is { } id && !seen.TryAdd((id, e.Timestamp, e.OrganisationId), p))
                {
                    // Another request of this transaction holds the same event: its row decides, this one is a duplicate.
                    outcomes[p][i] = new WriteOutcome(id, false);
                    continue;
                }

                rows.Add(new Row(e, part, p, i));
            }

            foreach (var entry in part.Rejected)
            {
                rejected.Add((part, entry));
            }
        }

        return (outcomes, rows, rejected);
    }

    /// <summary>Inserts the rows and quarantine entries in one batch and fills in their outcomes.</summary>
    private async Task ExecuteAsync(
        NpgsqlConnection connection, WriteOutcome[][] outcomes, List<Row> rows, List<(WritePart Part, QuarantineEntry Entry)> rejected, CancellationToken ct)
    {
        if (rows.Count == 0 && rejected.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection);

        if (rows.Count > 0)
        {
            var now = rows.Max(r => r.Part.ReceivedAt);
            var (orgIds, orgNames) = Organisations(rows);
            batch.BatchCommands.Add(OrganisationsCommand(InsertOrganisations, orgIds, orgNames, now));
            batch.BatchCommands.Add(OrganisationsCommand(RenameOrganisations, orgIds, orgNames, now));
            batch.BatchCommands.Add(EventsCommand(rows));
        }

        if (rejected.Count > 0)
        {
            batch.BatchCommands.Add(QuarantineCommand(rejected));
            // Every write that adds to the quarantine keeps its posters and the whole within their bounds, so a flood of
            // bad items cannot grow it, and evicts only its own poster's oldest items.
            foreach (var trim in QuarantineTrimmer.WriteCommands(rejected.Select(r => (r.Part.ProducerId, r.Entry.OrganisationId)), options.Value))
            {
                batch.BatchCommands.Add(trim);
            }
        }

        // Prepared: the statements' texts never change, and PostgreSQL then parses and plans the insert (a CTE over one
        // array per column into a partitioned table) once per connection rather than for every group. Npgsql keeps the
        // statements prepared per physical connection, so this costs a round trip only the first time.
        await batch.PrepareAsync(ct);
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (rows.Count > 0)
            {
                var k = 0;
                while (await reader.ReadAsync(ct))
                {
                    var row = rows[k++];
                    outcomes[row.PartIndex][row.EventIndex] = new WriteOutcome(reader.GetInt64(0), reader.GetBoolean(1));
                }
            }
        }
    }

    private readonly record struct Row(ValidatedEvent Event, WritePart Part, int PartIndex, int EventIndex);

    /// <summary>Each organisation once, in id order, with the name of its newest event that names it.</summary>
    private static (long[] Ids, string?[] Names) Organisations(List<Row> rows)
    {
        var newest = new SortedDictionary<long, (DateTimeOffset At, string? Name)>();
        foreach (var row in rows)
        {
            var e = row.Event;
            if (!newest.TryGetValue(e.OrganisationId, out var known))
            {
                newest[e.OrganisationId] = (e.Timestamp, e.OrganisationName);
            }
            else if (e.OrganisationName is not null && (known.Name is null || e.Timestamp >= known.At))
            {
                newest[e.OrganisationId] = (e.Timestamp, e.OrganisationName);
            }
        }

        return (newest.Keys.ToArray(), newest.Values.Select(v => v.Name).ToArray());
    }

    private static NpgsqlBatchCommand OrganisationsCommand(string sql, long[] ids, string?[] names, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<long[]>("org_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = ids });
        command.Parameters.Add(new NpgsqlParameter<string?[]>("org_name", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = names });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        return command;
    }

    private static NpgsqlBatchCommand EventsCommand(List<Row> rows) =>
        EventTable.InsertCommand(rows.ConvertAll(r => new NewEvent(r.Event, r.Event.Id, r.Part.ReceivedAt, r.Part.ProducerId)));

    private static NpgsqlBatchCommand QuarantineCommand(List<(WritePart Part, QuarantineEntry Entry)> rejected)
    {
        var command = new NpgsqlBatchCommand(InsertQuarantine);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<DateTimeOffset[]>("received_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = rejected.Select(r => r.Part.ReceivedAt).ToArray() });
        p.Add(new NpgsqlParameter<long?[]>("producer_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = rejected.Select(r => r.Part.ProducerId).ToArray() });
        p.Add(new NpgsqlParameter<long?[]>("organisation_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = rejected.Select(r => r.Entry.OrganisationId).ToArray() });
        p.Add(new NpgsqlParameter<int[]>("item_index", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = rejected.Select(r => r.Entry.ItemIndex).ToArray() });
        p.Add(new NpgsqlParameter<long?[]>("event_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = rejected.Select(r => r.Entry.EventId).ToArray() });
        p.Add(new NpgsqlParameter<string[]>("errors", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = rejected.Select(r => r.Entry.ErrorsJson).ToArray() });
        p.Add(new NpgsqlParameter<string[]>("payload", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rejected.Select(r => r.Entry.Payload).ToArray() });
        p.Add(new NpgsqlParameter<bool[]>("payload_truncated", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = rejected.Select(r => r.Entry.PayloadTruncated).ToArray() });
        return command;
    }
}
