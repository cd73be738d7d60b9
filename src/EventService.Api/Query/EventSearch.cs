using System.Text;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Domain.Queries;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Query;

/// <summary>Whose events a list shows: always one organisation, optionally one endpoint, SIM or user of it.</summary>
public sealed record EventScope(long OrganisationId, long? EndpointId = null, long? SimId = null, long? UserId = null)
{
    public bool IsWholeOrganisation => EndpointId is null && SimId is null && UserId is null;
}

/// <summary>One page of a list, with the numbers its headers need.</summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, long Total, int Page, int PerPage, int Pages);

/// <summary>
/// Turns a parsed <see cref="EventQuery"/> into SQL over the events table. The SQL text is assembled from fixed
/// fragments chosen by the typed filter; every value travels as a parameter.
/// </summary>
/// <remarks>
/// X-Total-Count is exact. When the list asks for a whole organisation with no condition but a time window, the
/// count sums <c>event_counts</c> and <c>event_count_deltas</c> (per organisation and UTC hour, appended by triggers
/// in the writing transaction) for the whole hours inside the window and counts only the partial hours at its ends
/// from the index.
/// Hours before <see cref="CountedFrom"/> are always counted from the index: the retention purge deletes from
/// partitions directly, past the triggers, but only before its cutoff, which lies earlier.
/// </remarks>
public sealed class EventSearch(NpgsqlDataSource dataSource, TimeProvider time, IOptions<RetentionOptions> retention)
{
    private const string Columns =
        """e.id, e."timestamp", e.event_type_id, e.severity, e.source, e.alert, e.description, e.entities, e.detail, e.extra""";

    /// <summary>From this many skipped rows on, a page is read as a deferred join (see <see cref="PageCommand"/>).</summary>
    private const int DeferredJoinOffset = 1000;

    public async Task<EventPage> SearchAsync(EventScope scope, EventQuery query, CancellationToken ct)
    {
        var where = new StringBuilder();
        var parameters = new List<NpgsqlParameter>();
        Where(scope, query.Filter, where, parameters);
        var orderBy = OrderBy(query.Sort);

        await using var connection = await dataSource.OpenConnectionAsync(ct);

        // The count and the requested page go together in one round trip; only a page past the end costs a second one.
        // A device's, SIM's or user's whole list is counted by a prepared statement of its own first: PostgreSQL then
        // settles on one plan for it per connection instead of planning every partition again for every request. Only
        // those three counts: one prepared statement per filter shape would pile up plans on every connection, and a
        // page's generic plan (blind to its LIMIT) would sort whole result sets.
        long? total = null;
        List<StoredEvent> rows;
        var count = CountFromHours(scope, query.Filter) ?? Command($"SELECT count(*) FROM events e WHERE {where}", parameters);
        if (!scope.IsWholeOrganisation && query.Filter.IsTimeWindowOnly && query.Filter.From is null && query.Filter.Until is null)
        {
            await using var prepared = ToCommand(count, connection);
            await prepared.PrepareAsync(ct);
            total = (long)(await prepared.ExecuteScalarAsync(ct))!;
        }

        await using (var batch = new NpgsqlBatch(connection))
        {
            if (total is null)
            {
                batch.BatchCommands.Add(count);
            }

            batch.BatchCommands.Add(PageCommand(where, orderBy, parameters, query, (query.Page - 1L) * query.PerPage));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (total is null)
            {
                await reader.ReadAsync(ct);
                total = reader.GetInt64(0);
                await reader.NextResultAsync(ct);
            }

            rows = await ReadEventsAsync(reader, ct);
        }

        var pages = (int)Math.Max(1, (total.Value + query.PerPage - 1) / query.PerPage);
        var page = Math.Min(query.Page, pages);
        if (page != query.Page)
        {
            await using var command = ToCommand(PageCommand(where, orderBy, parameters, query, (page - 1L) * query.PerPage), connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            rows = await ReadEventsAsync(reader, ct);
        }

        return new EventPage(rows, total.Value, page, query.PerPage, pages);
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

    /// <summary>
    /// The first hour whose count <c>event_counts</c> answers: the hour after the one that holds the retention cutoff,
    /// and one more for clocks that differ between instances. Earlier events (normally the purge's last hour or two)
    /// are counted from the index.
    /// </summary>
    public DateTimeOffset CountedFrom => FloorHour(time.GetUtcNow() - retention.Value.Period) + TimeSpan.FromHours(2);

    /// <summary>The exact count from per-hour counts and the window's partial hours, or null when they cannot answer it.</summary>
    private NpgsqlBatchCommand? CountFromHours(EventScope scope, EventFilter f)
    {
        if (!scope.IsWholeOrganisation || !f.IsTimeWindowOnly)
        {
            return null;
        }

        // Whole hours [a, b) come from the counts; [from, a) and [b, until] from the index.
        var a = f.From is { } from && CeilingHour(from) > CountedFrom ? CeilingHour(from) : CountedFrom;
        DateTimeOffset? b = f.Until is { } until ? FloorHour(until) : null;
        if (a >= b)
        {
            return null;
        }

        // The folded counts and the deltas not yet folded (see EventCountsCompactor): each delta is in exactly one.
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

    private static DateTimeOffset FloorHour(DateTimeOffset t) =>
        new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    // In the calendar's last hour there is no next one: the end of time stands for it (no whole hour follows).
    private static DateTimeOffset CeilingHour(DateTimeOffset t) =>
        t.UtcTicks % TimeSpan.TicksPerHour == 0 ? t.ToUniversalTime()
        : FloorHour(t) >= FloorHour(DateTimeOffset.MaxValue) ? DateTimeOffset.MaxValue
        : FloorHour(t) + TimeSpan.FromHours(1);

    /// <summary>
    /// A page. Deep in a list, or for ICCIDs (whose index yields matches out of order, to be sorted), it is a deferred
    /// join: the inner query finds the page's keys from index entries alone where the filter allows, and just the
    /// page's own rows are read from the heap, where a plain OFFSET or sort reads every skipped or sorted row. Near
    /// the front of an ordered walk the plain form is cheaper: the join plans every partition twice.
    /// </summary>
    private static NpgsqlBatchCommand PageCommand(StringBuilder where, string orderBy, List<NpgsqlParameter> parameters, EventQuery query, long offset)
    {
        var command = Command(
            offset < DeferredJoinOffset && query.Filter.Iccids.Count == 0
                ? $"SELECT {Columns} FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset"
                : $"""
                  SELECT {Columns} FROM events e JOIN (
                      SELECT e.organisation_id, e.id, e."timestamp" FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset
                  ) page ON e.organisation_id = page.organisation_id AND e.id = page.id AND e."timestamp" = page."timestamp"
                  ORDER BY {orderBy}
                  """,
            parameters);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", query.PerPage));
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

    /// <summary>A batch command on its own, to prepare it or to run it after the batch.</summary>
    private static NpgsqlCommand ToCommand(NpgsqlBatchCommand source, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(source.CommandText, connection);
        foreach (NpgsqlParameter p in source.Parameters)
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
            // A prefix is a range in byte order (the index's text_pattern_ops): [prefix, prefix with its last
            // character raised by one). LIKE ANY(array) cannot use the index at all.
            // Only the conditions present: an always-false `= ANY('{}')` arm turns an index-only count into a heap scan.
            var exact = f.Iccids.Where(c => !c.IsPrefix).Select(c => c.Digits).ToArray();
            var or = " AND (";
            if (exact.Length > 0)
            {
                sql.Append(or).Append("e.iccid = ANY(@iccids)");
                p.Add(new NpgsqlParameter<string[]>("iccids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = exact });
                or = " OR ";
            }

            var i = 0;
            foreach (var prefix in f.Iccids.Where(c => c.IsPrefix).Select(c => c.Digits))
            {
                sql.Append(or).Append($"(e.iccid ~>=~ @iccid_from{i} AND e.iccid ~<~ @iccid_to{i})");
                or = " OR ";
                p.Add(new NpgsqlParameter<string>($"iccid_from{i}", NpgsqlDbType.Text) { TypedValue = prefix });
                p.Add(new NpgsqlParameter<string>($"iccid_to{i}", NpgsqlDbType.Text) { TypedValue = prefix[..^1] + (char)(prefix[^1] + 1) });
                i++;
            }

            sql.Append(')');
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
