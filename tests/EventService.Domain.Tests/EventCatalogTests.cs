using System.Text.Json;
using EventService.Domain.Catalog;
using Json.Schema;

namespace EventService.Domain.Tests;

public sealed class EventCatalogTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void The_built_in_catalog_has_69_types_with_ids_0_to_69_except_66()
    {
        var types = EventCatalog.ParseCatalogDocument(TestData.CatalogJson);

        Assert.Equal(69, types.Count);
        Assert.Equal(Enumerable.Range(0, 70).Where(id => id != 66), types.Select(t => t.Id).Order());
        Assert.All(types, t => Assert.True(t.BuiltIn));
        Assert.All(types, t => Assert.False(string.IsNullOrWhiteSpace(t.Description)));
        Assert.Equal(69, TestData.Catalog.Types.Count);
    }

    [Fact]
    public void A_parsed_type_keeps_description_section_and_its_schema_as_compact_json()
    {
        var types = EventCatalog.ParseCatalogDocument(TestData.CatalogJson);
        var updateLocation = types.Single(t => t.Id == 1);
        var generic = types.Single(t => t.Id == 0);

        Assert.Equal("Update location", updateLocation.Description);
        Assert.Equal("Network attachment and location", updateLocation.Section);
        Assert.NotNull(updateLocation.DetailSchema);
        Assert.StartsWith("{\"type\":\"object\",\"properties\":{", updateLocation.DetailSchema);
        Assert.DoesNotContain("\n", updateLocation.DetailSchema);
        Assert.Null(generic.DetailSchema);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"event_types": {}}""")]
    [InlineData("""{"event_types": [1]}""")]
    [InlineData("""{"event_types": [{"description": "x"}]}""")]
    [InlineData("""{"event_types": [{"id": "1", "description": "x"}]}""")]
    [InlineData("""{"event_types": [{"id": -1, "description": "x"}]}""")]
    [InlineData("""{"event_types": [{"id": 1}]}""")]
    [InlineData("""{"event_types": [{"id": 1, "description": "x", "detail_schema": "object"}]}""")]
    [InlineData("""{"event_types": [{"id": 1, "description": "x"}, {"id": 1, "description": "y"}]}""")]
    public void A_document_that_is_not_a_catalog_is_a_FormatException(string json)
    {
        var e = Assert.Throws<FormatException>(() => EventCatalog.ParseCatalogDocument(json));
        Assert.Contains("catalog", e.Message);
    }

    [Fact]
    public void A_minimal_document_parses()
    {
        var types = EventCatalog.ParseCatalogDocument("""{"event_types": [{"id": 7, "description": "Seven"}]}""");

        Assert.Equal([new EventTypeDefinition(7, "Seven", null, null, true)], types);
    }

    [Fact]
    public void Duplicate_type_ids_are_rejected_by_the_constructor()
    {
        EventTypeDefinition[] types = [new(1, "a", null, null, true), new(1, "b", null, null, true)];

        Assert.Throws<ArgumentException>(() => new EventCatalog(types));
    }

    [Fact]
    public void A_schema_that_is_not_json_is_rejected_by_the_constructor()
    {
        EventTypeDefinition[] types = [new(1, "a", null, "{not json", true)];

        Assert.Throws<ArgumentException>(() => new EventCatalog(types));
    }

    [Fact]
    public void TryGet_finds_known_types_only()
    {
        Assert.True(TestData.Catalog.TryGet(3, out var type));
        Assert.Equal("Create PDP Context", type.Description);
        Assert.False(TestData.Catalog.TryGet(66, out _));
        Assert.False(TestData.Catalog.TryGet(-1, out _));
    }

    [Fact]
    public void A_string_country_id_in_update_location_detail_is_an_error_at_detail_country_id()
    {
        var errors = TestData.Catalog.ValidateDetail(1, Parse("""{"country": {"id": "x"}}"""));

        Assert.Equal(["detail.country.id"], errors.Keys);
        Assert.Equal(["must be of type integer"], errors["detail.country.id"]);
    }

    [Fact]
    public void A_wrong_item_in_an_array_is_an_error_at_its_index()
    {
        var errors = TestData.Catalog.ValidateDetail(1, Parse("""{"tapcode": [{"id": 1}, {"id": 1.5}], "mnc": [{"id": 2, "mnc": 2}]}"""));

        Assert.Equal(["detail.mnc[0].mnc", "detail.tapcode[1].id"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["must be of type string"], errors["detail.mnc[0].mnc"]);
    }

    [Fact]
    public void Every_failing_location_is_reported()
    {
        var errors = TestData.Catalog.ValidateDetail(1, Parse("""{"id": "3", "name": 5, "country": {"id": "x", "mcc": 262}}"""));

        Assert.Equal(
            ["detail.country.id", "detail.country.mcc", "detail.id", "detail.name"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_type_list_reads_as_alternatives()
    {
        var errors = TestData.Catalog.ValidateDetail(18, Parse("""{"quota": {"volume": true}}"""));

        var message = Assert.Single(errors["detail.quota.volume"]);
        Assert.Matches("^must be of type (number or string|string or number)$", message);
    }

    [Fact]
    public void A_value_outside_an_enum_is_an_error_naming_the_allowed_values()
    {
        var errors = TestData.Catalog.ValidateDetail(3, Parse("""{"pdp_context": {"gtp_version": 3}}"""));

        Assert.Equal(["detail.pdp_context.gtp_version"], errors.Keys);
        Assert.Contains("allowed", errors["detail.pdp_context.gtp_version"][0]);
        Assert.Empty(TestData.Catalog.ValidateDetail(3, Parse("""{"pdp_context": {"gtp_version": 2}}""")));
    }

    [Fact]
    public void An_unpaired_surrogate_where_a_detail_schema_has_an_enum_is_an_error_not_an_exception()
    {
        // JsonSchema.Net writes the received value into the enum's message, and cannot write an unpaired surrogate.
        var errors = TestData.Catalog.ValidateDetail(3, Parse("""{"pdp_context": {"gtp_version": "\ud800"}}"""));

        Assert.Equal(["detail"], errors.Keys);
        Assert.Contains("unpaired surrogate", errors["detail"][0]);
    }

    [Fact]
    public void Unknown_detail_properties_are_allowed()
    {
        var errors = TestData.Catalog.ValidateDetail(1, Parse("""{"id": 3, "country": {"id": 74, "new_field": [1]}, "future_field": "kept"}"""));

        Assert.Empty(errors);
    }

    [Fact]
    public void A_type_without_schema_accepts_any_object()
    {
        Assert.Null(TestData.Catalog.Types.Single(t => t.Id == 12).DetailSchema);
        Assert.Empty(TestData.Catalog.ValidateDetail(12, Parse("""{"country": {"id": "x"}, "anything": [1, "two"]}""")));
        Assert.Empty(TestData.Catalog.ValidateDetail(12, Parse("{}")));
    }

    [Fact]
    public void A_detail_that_is_not_an_object_is_an_error_at_the_prefix()
    {
        Assert.Equal(["detail"], TestData.Catalog.ValidateDetail(12, Parse("[1]")).Keys);
        Assert.Equal(["detail"], TestData.Catalog.ValidateDetail(1, Parse("\"x\"")).Keys);
    }

    [Fact]
    public void Paths_start_with_the_given_prefix()
    {
        var errors = TestData.Catalog.ValidateDetail(1, Parse("""{"country": {"id": "x"}}"""), "items[2].detail");

        Assert.Equal(["items[2].detail.country.id"], errors.Keys);
    }

    [Fact]
    public void Property_names_that_are_not_plain_are_quoted_in_paths()
    {
        EventTypeDefinition[] types = [new(1, "a", null, """{"properties": {"a.b": {"properties": {"c/d": {"type": "integer"}}}}}""", true)];
        var catalog = new EventCatalog(types);

        var errors = catalog.ValidateDetail(1, Parse("""{"a.b": {"c/d": "x"}}"""));

        Assert.Equal(["detail[\"a.b\"][\"c/d\"]"], errors.Keys);
    }

    [Fact]
    public void An_unknown_type_is_reported_not_thrown()
    {
        var errors = TestData.Catalog.ValidateDetail(66, Parse("{}"));

        Assert.Equal(["detail"], errors.Keys);
    }

    [Fact]
    public void Catalogs_with_the_same_types_coexist_and_leave_the_global_schema_registry_alone()
    {
        var types = EventCatalog.ParseCatalogDocument(TestData.CatalogJson);
        var first = new EventCatalog(types);
        var second = new EventCatalog(types);

        Assert.Equal(["detail.country.id"], first.ValidateDetail(1, Parse("""{"country": {"id": "x"}}""")).Keys);
        Assert.Equal(["detail.country.id"], second.ValidateDetail(1, Parse("""{"country": {"id": "x"}}""")).Keys);
        Assert.Null(SchemaRegistry.Global.Get(new Uri("urn:eventservice:event-type:1")));
    }

    [Fact]
    public void Concurrent_validations_give_the_same_answers_as_sequential_ones()
    {
        var bad = Parse("""{"country": {"id": "x"}, "tapcode": [{"id": "y"}]}""");
        var good = Parse("""{"country": {"id": 74}, "tapcode": [{"id": 1}]}""");
        var failures = 0;

        Parallel.For(0, 4000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var errors = TestData.Catalog.ValidateDetail(1, i % 2 == 0 ? bad : good);
            var expected = i % 2 == 0 ? 2 : 0;
            if (errors.Count != expected)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }
}
