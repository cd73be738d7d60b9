using EventService.Api.Storage.Events;
using EventService.Domain.Catalog;
using EventService.Domain.Queries;
using Npgsql;

namespace EventService.Api.Tests.Storage;

/// <summary>The filter-to-SQL translation on its own: no database, no host.</summary>
public sealed class EventFilterSqlTests
{
    [Fact]
    public void A_whole_organisation_without_conditions_is_the_organisation_alone()
    {
        var (sql, parameters) = EventFilterSql.Where(new EventScope(4711), EventFilter.None);

        Assert.Equal("e.organisation_id = @org", sql);
        Assert.Equal(4711L, Assert.Single(parameters).Value);
    }

    [Fact]
    public void A_device_scope_and_conditions_are_anded_and_every_value_is_a_parameter()
    {
        var filter = new EventFilter
        {
            Types = [1, 3], Severity = EventSeverity.Critical, Alert = true, Description = "50%_off\\x",
            EndpointNames = ["Truck-1"], From = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero),
            Until = new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero), UntilExclusive = true,
        };

        var (sql, parameters) = EventFilterSql.Where(new EventScope(4711, EndpointId: 90001), filter);

        Assert.Equal(
            """e.organisation_id = @org AND e.endpoint_id = @endpoint_id AND e.event_type_id = ANY(@types) AND e.severity = @severity AND e.alert = @alert AND e.description ILIKE @description ESCAPE '\' AND lower(e.endpoint_name) = ANY(@endpoint_names) AND e."timestamp" >= @from AND e."timestamp" < @until""",
            sql);
        var values = parameters.ToDictionary(p => p.ParameterName, p => p.Value);
        Assert.Equal(90001L, values["endpoint_id"]);
        Assert.Equal(new[] { 1, 3 }, values["types"]);
        Assert.Equal((short)2, values["severity"]);
        Assert.Equal(@"%50\%\_off\\x%", values["description"]); // LIKE's wildcards and escape taken literally
        Assert.Equal(new[] { "truck-1" }, values["endpoint_names"]);
        Assert.DoesNotContain("50", sql);
        Assert.DoesNotContain("truck", sql, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Iccid_prefixes_are_index_ranges_and_exact_iccids_one_list()
    {
        var filter = new EventFilter { Iccids = [new IccidCondition("8988303", true), new IccidCondition("8988303000000012345", false), new IccidCondition("8949", true)] };

        var (sql, parameters) = EventFilterSql.Where(new EventScope(1), filter);

        Assert.Equal(
            "e.organisation_id = @org AND (e.iccid = ANY(@iccids) OR (e.iccid ~>=~ @iccid_from0 AND e.iccid ~<~ @iccid_to0) OR (e.iccid ~>=~ @iccid_from1 AND e.iccid ~<~ @iccid_to1))",
            sql);
        var values = parameters.ToDictionary(p => p.ParameterName, p => p.Value);
        Assert.Equal(new[] { "8988303000000012345" }, values["iccids"]);
        Assert.Equal(("8988303", "8988304"), ((string)values["iccid_from0"]!, (string)values["iccid_to0"]!));
        Assert.Equal(("8949", "894:"), ((string)values["iccid_from1"]!, (string)values["iccid_to1"]!));
    }

    [Fact]
    public void An_exact_iccid_alone_adds_no_range_arm()
    {
        var (sql, _) = EventFilterSql.Where(new EventScope(1), new EventFilter { Iccids = [new IccidCondition("8988303000000012345", false)] });

        Assert.Equal("e.organisation_id = @org AND (e.iccid = ANY(@iccids))", sql);
    }

    [Theory]
    [InlineData("", "e.id, e.\"timestamp\"")]
    [InlineData("-timestamp", "e.\"timestamp\" DESC, e.id")]
    [InlineData("severity,-id", "e.severity, e.id DESC, e.\"timestamp\"")]
    [InlineData("endpoint", "e.endpoint_name, e.id, e.\"timestamp\"")]
    public void Every_order_ends_in_id_and_timestamp_so_pages_neither_repeat_nor_skip(string sort, string expected)
    {
        var parsed = EventQueryParser.Parse(null, sort.Length == 0 ? null : sort, null, null);

        Assert.Equal(expected, EventFilterSql.OrderBy(parsed.Query!.Sort));
    }

    [Theory]
    [InlineData("", "e.id DESC, e.\"timestamp\" DESC")]
    [InlineData("-timestamp", "e.\"timestamp\", e.id DESC")]
    [InlineData("severity,-id", "e.severity DESC, e.id, e.\"timestamp\" DESC")]
    public void The_reversed_order_turns_every_key_round_tie_breakers_included(string sort, string expected)
    {
        var parsed = EventQueryParser.Parse(null, sort.Length == 0 ? null : sort, null, null);

        Assert.Equal(expected, EventFilterSql.OrderBy(parsed.Query!.Sort, reversed: true));
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("-id", true)]
    [InlineData("-timestamp,severity", true)]
    [InlineData("organisation,-timestamp", true)]
    [InlineData("organisation", true)]
    [InlineData("severity,id", false)]
    [InlineData("-tags", false)]
    [InlineData("type", false)]
    public void Only_orders_led_by_id_or_timestamp_are_indexed(string sort, bool indexed)
    {
        var parsed = EventQueryParser.Parse(null, sort.Length == 0 ? null : sort, null, null);

        Assert.Equal(indexed, EventFilterSql.IsIndexedOrder(parsed.Query!.Sort));
    }

    [Fact]
    public void Every_sort_field_has_a_column()
    {
        foreach (var field in Enum.GetValues<SortField>())
        {
            Assert.StartsWith("e.", EventFilterSql.OrderBy([new SortKey(field, false)]));
        }
    }
}
