using EventService.Domain.Events;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage;

/// <summary>A rejected item on its way to the quarantine.</summary>
public sealed record QuarantineEntry(int ItemIndex, long? EventId, string ErrorsJson, string Payload, bool PayloadTruncated);

/// <summary>What became of one event handed to the writer.</summary>
/// <param name="Id">The producer's id, or the one the service assigned.</param>
/// <param name="Inserted">False when an event with the same id and timestamp was already stored.</param>
public readonly record struct WriteOutcome(long Id, bool Inserted);

/// <summary>
/// Writes a batch of validated events and the batch's rejected items in one transaction, one statement each:
/// an <c>INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING</c> that assigns missing ids and reports
/// which rows were new. COPY cannot say ON CONFLICT or RETURNING, so the array-parameter insert is the fast path here.
/// </summary>
public sealed class EventWriter(NpgsqlDataSource dataSource, PartitionManager partitions, TimeProvider time, IOptions<StorageOptions> options)
{
    private const string InsertEvents =
        """
        WITH src AS (
            SELECT u.ord, COALESCE(u.id, nextval('event_id_seq')) AS id, u.ts, u.event_type_id, u.severity, u.source,
                   u.alert, u.description, u.organisation_id, u.user_id, u.endpoint_id, u.sim_id, u.imsi_id,
                   u.iccid, u.imsi, u.imei, u.ip_address, u.user_name, u.endpoint_name, u.tags, u.network,
                   u.country, u.rat_type, u.entities, u.detail, u.extra
            FROM unnest(@id, @ts, @event_type_id, @severity, @source, @alert, @description, @organisation_id,
                        @user_id, @endpoint_id, @sim_id, @imsi_id, @iccid, @imsi, @imei, @ip_address,
                        @user_name, @endpoint_name, @tags, @network, @country, @rat_type,
                        @entities, @detail, @extra)
                 WITH ORDINALITY AS u(id, ts, event_type_id, severity, source, alert, description, organisation_id,
                                      user_id, endpoint_id, sim_id, imsi_id, iccid, imsi, imei, ip_address,
                                      user_name, endpoint_name, tags, network, country, rat_type,
                                      entities, detail, extra, ord)
        ), ins AS (
            INSERT INTO events (id, "timestamp", received_at, event_type_id, severity, source, alert, description,
                                organisation_id, user_id, endpoint_id, sim_id, imsi_id, iccid, imsi, imei, ip_address,
                                user_name, endpoint_name, tags, network, country, rat_type,
                                entities, detail, extra, producer_id)
            SELECT id, ts, @received_at, event_type_id, severity, source, alert, description,
                   organisation_id, user_id, endpoint_id, sim_id, imsi_id, iccid, imsi, imei, ip_address,
                   user_name, endpoint_name, tags, network, country, rat_type,
                   entities, detail, extra, @producer_id
            FROM src
            ORDER BY id, ts -- one lock order for overlapping batches, so redeliveries do not deadlock
            ON CONFLICT DO NOTHING
            RETURNING id, "timestamp"
        )
        SELECT src.id, ins.id IS NOT NULL
        FROM src LEFT JOIN ins ON ins.id = src.id AND ins."timestamp" = src.ts
        ORDER BY src.ord
        """;

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
        INSERT INTO quarantine (received_at, producer_id, item_index, event_id, errors, payload, payload_truncated)
        SELECT @received_at, @producer_id, u.item_index, u.event_id, u.errors, u.payload, u.payload_truncated
        FROM unnest(@item_index, @event_id, @errors, @payload, @payload_truncated)
             AS u(item_index, event_id, errors, payload, payload_truncated)
        """;

    // Every write that adds to the quarantine keeps it within its bound, so a flood of bad items cannot grow it.
    private const string TrimQuarantine =
        """
        DELETE FROM quarantine
        WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC OFFSET @keep LIMIT 1)
        """;

    /// <summary>
    /// Commits the events (no two with the same id and timestamp) and the quarantine entries together.
    /// Returns one outcome per event, in order. Throws when nothing was committed.
    /// </summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<ValidatedEvent> events, IReadOnlyList<QuarantineEntry> rejected, long? producerId, DateTimeOffset receivedAt, CancellationToken ct)
    {
        try
        {
            return await WriteOnceAsync(events, rejected, producerId, receivedAt, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
        {
            // Two batches renaming the same organisations in another order: nothing was committed, try once more.
            return await WriteOnceAsync(events, rejected, producerId, receivedAt, ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.CheckViolation && ex.TableName is "events")
        {
            // No partition for a timestamp inside the window: the daily maintenance has not run yet (a host
            // that slept, a clock that jumped). Create what is missing and try once more.
            await partitions.EnsurePartitionsAsync(time.GetUtcNow(), ct);
            return await WriteOnceAsync(events, rejected, producerId, receivedAt, ct);
        }
    }

    private async Task<WriteOutcome[]> WriteOnceAsync(
        IReadOnlyList<ValidatedEvent> events, IReadOnlyList<QuarantineEntry> rejected, long? producerId, DateTimeOffset receivedAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, tx);

        if (events.Count > 0)
        {
            var (orgIds, orgNames) = Organisations(events);
            batch.BatchCommands.Add(OrganisationsCommand(InsertOrganisations, orgIds, orgNames, receivedAt));
            batch.BatchCommands.Add(OrganisationsCommand(RenameOrganisations, orgIds, orgNames, receivedAt));
            batch.BatchCommands.Add(EventsCommand(events, receivedAt, producerId));
        }

        if (rejected.Count > 0)
        {
            batch.BatchCommands.Add(QuarantineCommand(rejected, receivedAt, producerId));
            var trim = new NpgsqlBatchCommand(TrimQuarantine);
            trim.Parameters.Add(new NpgsqlParameter<int>("keep", options.Value.QuarantineMaxRows));
            batch.BatchCommands.Add(trim);
        }

        var outcomes = new WriteOutcome[events.Count];
        if (batch.BatchCommands.Count == 0)
        {
            return outcomes;
        }

        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            if (events.Count > 0)
            {
                var i = 0;
                while (await reader.ReadAsync(ct))
                {
                    outcomes[i++] = new WriteOutcome(reader.GetInt64(0), reader.GetBoolean(1));
                }
            }
        }

        await tx.CommitAsync(ct);
        return outcomes;
    }

    /// <summary>Each organisation once, in id order, with the name of its newest event that names it.</summary>
    private static (long[] Ids, string?[] Names) Organisations(IReadOnlyList<ValidatedEvent> events)
    {
        var newest = new SortedDictionary<long, (DateTimeOffset At, string? Name)>();
        foreach (var e in events)
        {
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

    private static NpgsqlBatchCommand EventsCommand(IReadOnlyList<ValidatedEvent> events, DateTimeOffset receivedAt, long? producerId)
    {
        var n = events.Count;
        var id = new long?[n];
        var ts = new DateTimeOffset[n];
        var type = new int[n];
        var severity = new short[n];
        var source = new short[n];
        var alert = new bool[n];
        var description = new string?[n];
        var organisation = new long[n];
        var user = new long?[n];
        var endpoint = new long?[n];
        var sim = new long?[n];
        var imsiId = new long?[n];
        var iccid = new string?[n];
        var imsi = new string?[n];
        var imei = new string?[n];
        var ip = new string?[n];
        var userName = new string?[n];
        var endpointName = new string?[n];
        var tags = new string?[n];
        var network = new string?[n];
        var country = new string?[n];
        var rat = new short?[n];
        var entities = new string[n];
        var detail = new string?[n];
        var extra = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            id[i] = e.Id;
            ts[i] = e.Timestamp;
            type[i] = e.TypeId;
            severity[i] = (short)e.Severity;
            source[i] = (short)e.Source;
            alert[i] = e.Alert;
            description[i] = e.Description;
            organisation[i] = e.OrganisationId;
            user[i] = e.UserId;
            endpoint[i] = e.EndpointId;
            sim[i] = e.SimId;
            imsiId[i] = e.ImsiId;
            iccid[i] = e.Iccid;
            imsi[i] = e.Imsi;
            imei[i] = e.Imei;
            ip[i] = e.IpAddress;
            userName[i] = e.UserName;
            endpointName[i] = e.EndpointName;
            tags[i] = e.Tags;
            network[i] = e.Network;
            country[i] = e.Country;
            rat[i] = e.RatType;
            entities[i] = e.EntitiesJson;
            detail[i] = e.DetailJson;
            extra[i] = e.ExtraJson;
        }

        var command = new NpgsqlBatchCommand(InsertEvents);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<long?[]>("id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = id });
        p.Add(new NpgsqlParameter<DateTimeOffset[]>("ts", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = ts });
        p.Add(new NpgsqlParameter<int[]>("event_type_id", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = type });
        p.Add(new NpgsqlParameter<short[]>("severity", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = severity });
        p.Add(new NpgsqlParameter<short[]>("source", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = source });
        p.Add(new NpgsqlParameter<bool[]>("alert", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = alert });
        p.Add(new NpgsqlParameter<string?[]>("description", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = description });
        p.Add(new NpgsqlParameter<long[]>("organisation_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = organisation });
        p.Add(new NpgsqlParameter<long?[]>("user_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = user });
        p.Add(new NpgsqlParameter<long?[]>("endpoint_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = endpoint });
        p.Add(new NpgsqlParameter<long?[]>("sim_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = sim });
        p.Add(new NpgsqlParameter<long?[]>("imsi_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = imsiId });
        p.Add(new NpgsqlParameter<string?[]>("iccid", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = iccid });
        p.Add(new NpgsqlParameter<string?[]>("imsi", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = imsi });
        p.Add(new NpgsqlParameter<string?[]>("imei", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = imei });
        p.Add(new NpgsqlParameter<string?[]>("ip_address", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ip });
        p.Add(new NpgsqlParameter<string?[]>("user_name", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = userName });
        p.Add(new NpgsqlParameter<string?[]>("endpoint_name", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = endpointName });
        p.Add(new NpgsqlParameter<string?[]>("tags", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = tags });
        p.Add(new NpgsqlParameter<string?[]>("network", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = network });
        p.Add(new NpgsqlParameter<string?[]>("country", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = country });
        p.Add(new NpgsqlParameter<short?[]>("rat_type", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { TypedValue = rat });
        p.Add(new NpgsqlParameter<string[]>("entities", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = entities });
        p.Add(new NpgsqlParameter<string?[]>("detail", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = detail });
        p.Add(new NpgsqlParameter<string?[]>("extra", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = extra });
        p.Add(new NpgsqlParameter<DateTimeOffset>("received_at", NpgsqlDbType.TimestampTz) { TypedValue = receivedAt });
        p.Add(new NpgsqlParameter("producer_id", NpgsqlDbType.Bigint) { Value = (object?)producerId ?? DBNull.Value });
        return command;
    }

    private static NpgsqlBatchCommand QuarantineCommand(IReadOnlyList<QuarantineEntry> rejected, DateTimeOffset receivedAt, long? producerId)
    {
        var command = new NpgsqlBatchCommand(InsertQuarantine);
        var p = command.Parameters;
        p.Add(new NpgsqlParameter<int[]>("item_index", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = rejected.Select(r => r.ItemIndex).ToArray() });
        p.Add(new NpgsqlParameter<long?[]>("event_id", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = rejected.Select(r => r.EventId).ToArray() });
        p.Add(new NpgsqlParameter<string[]>("errors", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = rejected.Select(r => r.ErrorsJson).ToArray() });
        p.Add(new NpgsqlParameter<string[]>("payload", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = rejected.Select(r => r.Payload).ToArray() });
        p.Add(new NpgsqlParameter<bool[]>("payload_truncated", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = rejected.Select(r => r.PayloadTruncated).ToArray() });
        p.Add(new NpgsqlParameter<DateTimeOffset>("received_at", NpgsqlDbType.TimestampTz) { TypedValue = receivedAt });
        p.Add(new NpgsqlParameter("producer_id", NpgsqlDbType.Bigint) { Value = (object?)producerId ?? DBNull.Value });
        return command;
    }
}
