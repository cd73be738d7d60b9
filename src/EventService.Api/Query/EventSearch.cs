using System.Text;
using EventService.Api.Storage;
using EventService.Domain.Queries;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Query;

/// <summary>Whose events a list shows: always one organisation, optionally one endpoint, SIM or user of it.</summary>
public sealed record EventScope(long OrganisationId, long? EndpointId = null, long? SimId = null, long? UserId = null);

/// <summary>One page of a list, with the numbers its headers need.</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, long Total, int Page, int PerPage, int Pages);

/// <summary>
/// Turns a parsed <see cref="EventQuery"/> into SQL over the events table. The SQL text is assembled from fixed
/// fragments chosen by the typed filter; every value travels as a parameter.
/// </summary>
public sealed class EventSearch(NpgsqlDataSource dataSource)
{
    private const string Columns =
        """e.id, e."timestamp", e.event_type_id, e.severity, e.source, e.alert, e.description, e.entities, e.detail, e.extra""";

    public async Task<EventPage> SearchAsync(EventScope scope, EventQuery query, CancellationToken ct)
    {
        var where = new StringBuilder();
        var parameters = new List<NpgsqlParameter>();
        Where(scope, query.Filter, where, parameters);
        var orderBy = OrderBy(query.Sort);

        await using var connection = await dataSource.OpenConnectionAsync(ct);

        // The count and the requested page go together in one round trip; only a page past the end costs a second one.
        long total;
        List<StoredEvent> rows;
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(Command($"SELECT count(*) FROM events e WHERE {where}", parameters));
            batch.BatchCommands.Add(PageCommand(where, orderBy, parameters, query.PerPage, (query.Page - 1L) * query.PerPage));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            total = reader.GetInt64(0);
            await reader.NextResultAsync(ct);
            rows = await ReadEventsAsync(reader, ct);
        }

        var pages = (int)Math.Max(1, (total + query.PerPage - 1) / query.PerPage);
        var page = Math.Min(query.Page, pages);
        if (page != query.Page)
        {
            await using var command = connection.CreateCommand();
            var last = PageCommand(where, orderBy, parameters, query.PerPage, (page - 1L) * query.PerPage);
            command.CommandText = last.CommandText;
            foreach (NpgsqlParameter p in last.Parameters)
            {
                command.Parameters.Add(p.Clone());
            }

            await using var reader = await command.ExecuteReaderAsync(ct);
            rows = await ReadEventsAsync(reader, ct);
        }

        return new EventPage(rows, total, page, query.PerPage, pages);
    }

    public async Task<StoredEvent?> FindAsync(long organisationId, long id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT {Columns} FROM events e WHERE e.id = @id AND e.organisation_id = @org ORDER BY e."timestamp" DESC LIMIT 1""");
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<long>("org", organisationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return (await ReadEventsAsync(reader, ct)).FirstOrDefault();
    }

    /// <summary>The organisation's event with this id and timestamp (what a duplicate duplicates).</summary>
    public async Task<StoredEvent?> FindAsync(long organisationId, long id, DateTimeOffset timestamp, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT {Columns} FROM events e WHERE e.id = @id AND e."timestamp" = @ts AND e.organisation_id = @org""");
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("ts", timestamp));
        command.Parameters.Add(new NpgsqlParameter<long>("org", organisationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return (await ReadEventsAsync(reader, ct)).FirstOrDefault();
    }

    private static NpgsqlBatchCommand PageCommand(StringBuilder where, string orderBy, List<NpgsqlParameter> parameters, int limit, long offset)
    {
        var command = Command($"SELECT {Columns} FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset", parameters);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<long>("offset", offset));
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, List<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return command;
    }

    private static async Task<List<StoredEvent>> ReadEventsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var rows = new List<StoredEvent>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new StoredEvent
            {
                Id = reader.GetInt64(0),
                Timestamp = reader.GetFieldValue<DateTimeOffset>(1),
                EventTypeId = reader.GetInt32(2),
                Severity = reader.GetInt16(3),
                Source = reader.GetInt16(4),
                Alert = reader.GetBoolean(5),
                Description = reader.IsDBNull(6) ? null : reader.GetString(6),
                Entities = reader.GetString(7),
                Detail = reader.IsDBNull(8) ? null : reader.GetString(8),
                Extra = reader.IsDBNull(9) ? null : reader.GetString(9),
            });
        }

        return rows;
    }

    private static void Where(EventScope scope, EventFilter f, StringBuilder sql, List<NpgsqlParameter> p)
    {
        void Add<T>(string condition, string name, T value, NpgsqlDbType type)
        {
            sql.Append(" AND ").Append(condition);
            p.Add(new NpgsqlParameter<T>(name, type) { TypedValue = value });
        }

        sql.Append("e.organisation_id = @org");
        p.Add(new NpgsqlParameter<long>("org", NpgsqlDbType.Bigint) { TypedValue = scope.OrganisationId });
        if (scope.EndpointId is { } endpointId) Add("e.endpoint_id = @endpoint_id", "endpoint_id", endpointId, NpgsqlDbType.Bigint);
        if (scope.SimId is { } simId) Add("e.sim_id = @sim_id", "sim_id", simId, NpgsqlDbType.Bigint);
        if (scope.UserId is { } userId) Add("e.user_id = @user_id", "user_id", userId, NpgsqlDbType.Bigint);

        if (f.Types.Count > 0) Add("e.event_type_id = ANY(@types)", "types", f.Types.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Integer);
        if (f.Source is { } source) Add("e.source = @source", "source", (short)source, NpgsqlDbType.Smallint);
        if (f.Severity is { } severity) Add("e.severity = @severity", "severity", (short)severity, NpgsqlDbType.Smallint);
        if (f.Alert is { } alert) Add("e.alert = @alert", "alert", alert, NpgsqlDbType.Boolean);
        if (f.Description is { } description) Add(@"e.description ILIKE @description ESCAPE '\'", "description", Contains(description), NpgsqlDbType.Text);
        if (f.OrganisationName is { } organisation)
        {
            Add("EXISTS (SELECT 1 FROM organisations o WHERE o.id = e.organisation_id AND lower(o.name) = lower(@organisation_name))",
                "organisation_name", organisation, NpgsqlDbType.Text);
        }

        if (f.UserName is { } user) Add("lower(e.user_name) = lower(@user_name)", "user_name", user, NpgsqlDbType.Text);
        if (f.EndpointNames.Count > 0) Add("lower(e.endpoint_name) = ANY(@endpoint_names)", "endpoint_names", Lower(f.EndpointNames), NpgsqlDbType.Array | NpgsqlDbType.Text);
        if (f.Tags is { } tags) Add(@"e.tags ILIKE @tags ESCAPE '\'", "tags", Contains(tags), NpgsqlDbType.Text);
        if (f.IpAddress is { } ip) Add("e.ip_address = @ip_address", "ip_address", ip, NpgsqlDbType.Text);
        if (f.Imei is { } imei) Add("e.imei = @imei", "imei", imei, NpgsqlDbType.Text);
        if (f.Imsi is { } imsi) Add("e.imsi = @imsi", "imsi", imsi, NpgsqlDbType.Text);
        if (f.Iccids.Count > 0)
        {
            // Digits only (the parser made sure), so a prefix needs no LIKE escaping; text_pattern_ops serves both forms.
            var exact = f.Iccids.Where(c => !c.IsPrefix).Select(c => c.Digits).ToArray();
            var prefixes = f.Iccids.Where(c => c.IsPrefix).Select(c => c.Digits + "%").ToArray();
            sql.Append(" AND (e.iccid = ANY(@iccids) OR e.iccid LIKE ANY(@iccid_prefixes))");
            p.Add(new NpgsqlParameter<string[]>("iccids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = exact });
            p.Add(new NpgsqlParameter<string[]>("iccid_prefixes", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = prefixes });
        }

        if (f.From is { } from) Add("""e."timestamp" >= @from""", "from", from, NpgsqlDbType.TimestampTz);
        if (f.Until is { } until)
        {
            Add(f.UntilExclusive ? """e."timestamp" < @until""" : """e."timestamp" <= @until""", "until", until, NpgsqlDbType.TimestampTz);
        }

        if (f.Networks.Count > 0) Add("lower(e.network) = ANY(@networks)", "networks", Lower(f.Networks), NpgsqlDbType.Array | NpgsqlDbType.Text);
        if (f.RatTypes.Count > 0) Add("e.rat_type = ANY(@rats)", "rats", f.RatTypes.Select(r => (short)r).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Smallint);
        if (f.Countries.Count > 0) Add("lower(e.country) = ANY(@countries)", "countries", Lower(f.Countries), NpgsqlDbType.Array | NpgsqlDbType.Text);
    }

    private static string OrderBy(IReadOnlyList<SortKey> sort)
    {
        var parts = new List<string>(sort.Count + 2);
        foreach (var key in sort)
        {
            parts.Add(Column(key.Field) + (key.Descending ? " DESC" : ""));
        }

        // A stable order, so that pages neither repeat nor skip rows.
        if (!sort.Any(k => k.Field == SortField.Id))
        {
            parts.Add("e.id");
        }

        if (!sort.Any(k => k.Field == SortField.Timestamp))
        {
            parts.Add("""e."timestamp" """);
        }

        return string.Join(", ", parts);
    }

    private static string Column(SortField field) => field switch
    {
        SortField.Id => "e.id",
        SortField.Timestamp => """e."timestamp" """,
        SortField.Source => "e.source",
        SortField.Severity => "e.severity",
        SortField.Alert => "e.alert",
        SortField.Organisation => "e.organisation_id",
        SortField.User => "e.user_id",
        SortField.Endpoint => "e.endpoint_name",
        SortField.Tags => "e.tags",
        SortField.IpAddress => "e.ip_address",
        SortField.Iccid => "e.iccid",
        SortField.Imsi => "e.imsi",
        SortField.Type => "e.event_type_id",
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    private static string Contains(string text) =>
        "%" + text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";

    private static string[] Lower(IReadOnlyList<string> values) => values.Select(v => v.ToLowerInvariant()).ToArray();
}
