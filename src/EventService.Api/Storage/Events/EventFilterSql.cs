using System.Text;
using EventService.Domain.Queries;
using NpgsqlTypes;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>Whose events a list shows: always one organisation, optionally one endpoint, SIM or user of it.</summary>
public sealed record EventScope(long OrganisationId, long? EndpointId = null, long? SimId = null, long? UserId = null)
{
    public bool IsWholeOrganisation => EndpointId is null && SimId is null && UserId is null;
}

/// <summary>A WHERE clause over <c>events e</c> and the parameters it names.</summary>
public sealed record SqlCondition(string Sql, IReadOnlyList<NpgsqlParameter> Parameters);

/// <summary>
/// The filter and sort of a list as SQL over <c>events e</c>: fixed fragments chosen by the typed filter, every value
/// a parameter. Pure: no connection, so it is tested without a database.
/// </summary>
public static class EventFilterSql
{
    public static SqlCondition Where(EventScope scope, EventFilter f)
    {
        var sql = new StringBuilder();
        var p = new List<NpgsqlParameter>();

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
        return new SqlCondition(sql.ToString(), p);
    }

    /// <summary>
    /// The ORDER BY list: the requested keys, then id and timestamp, so that pages neither repeat nor skip rows;
    /// <paramref name="reversed"/> turns every key round (to walk a list from its end).
    /// </summary>
    public static string OrderBy(IReadOnlyList<SortKey> sort, bool reversed = false)
    {
        var parts = new List<string>(sort.Count + 2);
        foreach (var key in sort)
        {
            parts.Add(Column(key.Field) + (key.Descending != reversed ? " DESC" : ""));
        }

        var tail = reversed ? " DESC" : "";
        if (!sort.Any(k => k.Field == SortField.Id))
        {
            parts.Add("e.id" + tail);
        }

        if (!sort.Any(k => k.Field == SortField.Timestamp))
        {
            parts.Add(Column(SortField.Timestamp) + tail);
        }

        return string.Join(", ", parts);
    }

    /// <summary>
    /// Whether an index yields the order without sorting the matches: id or timestamp first (the organisation is one
    /// value within a list, so sorting by it changes nothing). Any other first key sorts every matching row.
    /// </summary>
    public static bool IsIndexedOrder(IReadOnlyList<SortKey> sort) =>
        sort.SkipWhile(k => k.Field == SortField.Organisation).FirstOrDefault() is null or { Field: SortField.Id or SortField.Timestamp };

    private static string Column(SortField field) => field switch
    {
        SortField.Id => "e.id",
        SortField.Timestamp => "e.\"timestamp\"",
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
