using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Domain.Events;
using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

/// <summary>Limits, characters PostgreSQL rejects, who refuses duplicate names, and inputs that must never make validation throw.</summary>
public sealed class EventValidatorSafetyTests
{
    private static IngestContext Limited(int maxDepth = 16, int maxStringLength = 4096, int maxCustomProperties = 512) =>
        Context(limits: new EventLimits { MaxDepth = maxDepth, MaxStringLength = maxStringLength, MaxCustomProperties = maxCustomProperties });

    private static JsonNode Nested(int levels)
    {
        JsonNode node = new JsonObject();
        for (var i = 1; i < levels; i++)
        {
            node = new JsonObject { ["n"] = node };
        }

        return node;
    }

    // depth

    [Fact]
    public void A_detail_nested_exactly_to_the_limit_is_accepted()
    {
        // The event is level 1 and detail level 2, so detail may hold two more levels.
        AssertValid(Validate(Event(e => e["detail"] = Nested(3)), Limited(maxDepth: 4)));
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_an_error_where_it_is_exceeded()
    {
        var result = Validate(Event(e => e["detail"] = Nested(4)), Limited(maxDepth: 4));

        AssertErrorsAt(result, "detail.n.n.n");
        Assert.Contains("4", Message(result, "detail.n.n.n"));
    }

    [Fact]
    public void Arrays_count_as_nesting_levels()
    {
        var result = Validate(Event(e => { e.Remove("detail"); e["future"] = new JsonArray(new JsonArray(new JsonArray())); }), Limited(maxDepth: 3));

        AssertErrorsAt(result, "future[0][0]");
        AssertValid(Validate(Event(e => { e.Remove("detail"); e["future"] = new JsonArray(new JsonArray()); }), Limited(maxDepth: 3)));
    }

    [Fact]
    public void The_default_depth_limit_rejects_deep_extra_properties()
    {
        var result = Validate(Event(e => e["future"] = Nested(16)));

        AssertErrorsAt(result, "future" + string.Concat(Enumerable.Repeat(".n", 15)));
        AssertValid(Validate(Event(e => e["future"] = Nested(15))));
    }

    [Fact]
    public void Entities_count_toward_depth_too()
    {
        AssertErrorsAt(Validate(Event(e => { e.Remove("detail"); e["endpoint"]!["extra"] = new JsonObject(); }), Limited(maxDepth: 2)), "endpoint.extra");
        AssertErrorsAt(Validate(Event(e => { e.Remove("detail"); e["sim"]!["history"] = new JsonArray(new JsonObject()); }), Limited(maxDepth: 3)), "sim.history[0]");
        AssertValid(Validate(Event(e => { e.Remove("detail"); e["sim"]!["history"] = new JsonArray(); }), Limited(maxDepth: 3)));
    }

    // string length

    [Fact]
    public void A_string_at_the_length_limit_is_accepted()
    {
        AssertValid(Validate(Event(e => e["description"] = new string('x', 40)), Limited(maxStringLength: 40)));
        AssertValid(Validate(Event(e => e["description"] = new string('€', 40)), Limited(maxStringLength: 40)));
    }

    [Fact]
    public void A_string_beyond_the_length_limit_is_an_error_at_its_path()
    {
        var context = Limited(maxStringLength: 40);

        AssertErrorsAt(Validate(Event(e => e["description"] = new string('x', 41)), context), "description");
        AssertErrorsAt(Validate(Event(e => e["description"] = new string('€', 41)), context), "description");
        AssertErrorsAt(Validate(Event(e => e["detail"]!["country"]!["name"] = new string('x', 41)), context), "detail.country.name");
        AssertErrorsAt(Validate(Event(e => e["detail"]!["tapcode"]![0]!["tapcode"] = new string('x', 41)), context), "detail.tapcode[0].tapcode");
    }

    [Fact]
    public void Escaped_characters_count_once_toward_the_length_limit()
    {
        // A, a newline and a surrogate pair are 4 UTF-16 units, though 22 bytes of JSON.
        var context = Limited(maxStringLength: 40);
        var padding = new string('x', 36);

        var exact = Validate(EventWithRaw(e => e["description"] = "@", $"\"\\u0041\\n\\ud83d\\ude00{padding}\""), context);
        Assert.Equal(40, AssertValid(exact).Description!.Length);
        AssertErrorsAt(Validate(EventWithRaw(e => e["description"] = "@", $"\"\\u0041\\n\\ud83d\\ude00{padding}x\""), context), "description");
    }

    [Fact]
    public void A_property_name_beyond_the_length_limit_is_an_error_at_its_object()
    {
        var context = Limited(maxStringLength: 40);

        AssertErrorsAt(Validate(Event(e => e["detail"]![new string('k', 41)] = 1), context), "detail");
        AssertErrorsAt(Validate(Event(e => e[new string('k', 41)] = 1), context), "$");
        AssertValid(Validate(Event(e => e["detail"]![new string('k', 40)] = 1), context));
    }

    // custom properties

    [Fact]
    public void Properties_of_detail_and_extras_up_to_the_limit_are_accepted()
    {
        // detail: a, b, c (nested in a) = 3; extras: x = 1, y = 1.
        var e = Event(e =>
        {
            e["detail"] = JsonNode.Parse("""{"a": {"c": 1}, "b": 2}""");
            e["x"] = 1;
            e["y"] = new JsonArray(1, 2, 3);
        });

        AssertValid(Validate(e, Limited(maxCustomProperties: 5)));
        AssertErrorsAt(Validate(e, Limited(maxCustomProperties: 4)), "y");
    }

    [Fact]
    public void Too_many_properties_inside_detail_is_an_error_at_detail()
    {
        var detail = new JsonObject();
        for (var i = 0; i < 6; i++)
        {
            detail["p" + i] = new JsonObject { ["q"] = i };
        }

        AssertErrorsAt(Validate(Event(e => e["detail"] = detail), Limited(maxCustomProperties: 11)), "detail");
        AssertValid(Validate(Event(e => e["detail"] = detail.DeepClone()), Limited(maxCustomProperties: 12)));
    }

    [Fact]
    public void Entity_properties_do_not_count_as_custom_properties()
    {
        AssertValid(Validate(Event(e => e["detail"] = null), Limited(maxCustomProperties: 0)));
    }

    // NUL and unpaired surrogates

    [Theory]
    [InlineData("description", "description")]
    [InlineData("timestamp", "timestamp")]
    [InlineData("alert", "alert")]
    [InlineData("future", "future")]
    public void A_NUL_character_in_a_top_level_string_is_an_error_at_its_path(string key, string path)
    {
        var result = Validate(EventWithRaw(e => e[key] = "@", "\"a\\u0000b\""));

        AssertErrorsAt(result, path);
        Assert.Contains("NUL", Message(result, path));
    }

    [Fact]
    public void A_NUL_character_anywhere_is_an_error_at_its_path()
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["detail"]!["country"]!["name"] = "@", "\"\\u0000\"")), "detail.country.name");
        AssertErrorsAt(Validate(EventWithRaw(e => e["organisation"]!["name"] = "@", "\"Acme\\u0000\"")), "organisation.name");
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_type"]!["description"] = "@", "\"\\u0000\"")), "event_type.description");
        AssertErrorsAt(Validate(EventWithRaw(e => e["sim"]!["production_date"] = "@", "\"\\u0000\"")), "sim.production_date");
        AssertErrorsAt(Validate(EventWithRaw(e => e["future"] = "@", "[\"ok\", {\"a b\": \"\\u0000\"}]")), "future[1][\"a b\"]");
    }

    [Fact]
    public void A_NUL_character_in_a_property_name_is_an_error_at_its_object()
    {
        var result = Validate(EventWithRaw(e => e["detail"] = "@", "{\"a\\u0000\": 1}"));

        AssertErrorsAt(result, "detail");
        Assert.Contains("NUL", Message(result, "detail"));
        AssertErrorsAt(Validate(EventWithRaw(e => e["x"] = "@", "1").Replace("\"x\"", "\"x\\u0000\"", StringComparison.Ordinal)), "$");
    }

    [Theory]
    [InlineData("\"\\ud800\"")]
    [InlineData("\"\\ud800x\"")]
    [InlineData("\"x\\udc00\"")]
    [InlineData("\"\\ude00\\ud83d\"")]
    [InlineData("\"\\ud83d\\ud83d\"")]
    [InlineData("\"\\ud83d\\n\"")]
    public void An_unpaired_surrogate_is_an_error_at_its_path(string raw)
    {
        var result = Validate(EventWithRaw(e => e["description"] = "@", raw));

        AssertErrorsAt(result, "description");
        Assert.Contains("Unicode", Message(result, "description"));
    }

    [Fact]
    public void A_surrogate_pair_is_valid_unicode()
    {
        var e = AssertValid(Validate(EventWithRaw(e => e["description"] = "@", "\"ok \\ud83d\\ude00\"")));

        Assert.Equal("ok 😀", e.Description);
    }

    [Theory]
    [InlineData("timestamp", "timestamp")]
    [InlineData("alert", "alert")]
    [InlineData("future", "future")]
    public void An_unpaired_surrogate_in_a_read_field_is_an_error_not_an_exception(string key, string path)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e[key] = "@", "\"\\ud800\"")), path);
    }

    [Fact]
    public void An_unpaired_surrogate_anywhere_is_an_error_at_its_path()
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["sim"]!["iccid"] = "@", "\"\\ud800\"")), "sim.iccid");
        AssertErrorsAt(Validate(EventWithRaw(e => e["endpoint"]!["ip_address"] = "@", "\"\\ud800\"")), "endpoint.ip_address");
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_severity"] = "@", "{\"description\": \"\\ud800\"}")), "event_severity.description", "event_severity.id");
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_source"]!["name"] = "@", "\"\\udfff\"")), "event_source.name");
        AssertErrorsAt(Validate(EventWithRaw(e => e["detail"]!["country"]!["name"] = "@", "\"\\ud800\"")), "detail.country.name");
        AssertErrorsAt(Validate(EventWithRaw(e => e["detail"]!["tapcode"] = "@", "[{\"tapcode\": \"\\ud800\"}]")), "detail.tapcode[0].tapcode");
    }

    [Theory]
    [InlineData("1e300")]
    [InlineData("-1e29")]
    [InlineData("123456789012345678901234567890")]
    public void A_number_beyond_decimal_range_where_the_schema_has_an_enum_is_an_error_not_an_exception(string raw)
    {
        var json = EventWithRaw(
            e =>
            {
                e["event_type"]!["id"] = 3; // Create PDP Context: gtp_version is {"type": "integer", "enum": [1, 2]}
                e["detail"] = "@";
            },
            $$$"""{"pdp_context": {"gtp_version": {{{raw}}}}}""");

        var result = Validate(json);

        AssertErrorsAt(result, "detail");
        Assert.Contains("too large", Message(result, "detail"));
    }

    [Fact]
    public void An_unpaired_surrogate_in_a_property_name_is_an_error_at_its_object()
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["detail"] = "@", "{\"\\ud800\": 1}")), "detail");
        AssertErrorsAt(Validate(EventWithRaw(e => e["user"] = "@", "{\"id\": 1, \"\\ud800\": 1}")), "user");
        AssertErrorsAt(Validate(EventWithRaw(e => e["x"] = "@", "1").Replace("\"x\"", "\"\\udc00\"", StringComparison.Ordinal)), "$");
    }

    // duplicates

    [Fact]
    public void A_duplicate_name_is_refused_by_the_parse_the_validator_expects()
    {
        var json = ValidEventJson.Insert(ValidEventJson.LastIndexOf('}'), ""","timestamp": "2026-11-20T09:00:00Z" """);

        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false }));
    }

    // robustness

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"id": null, "timestamp": null, "event_type": null}""")]
    [InlineData("""{"event_type": [], "event_source": [], "event_severity": [], "organisation": [], "detail": {"a": "\ud800"}}""")]
    [InlineData("""{"\u0000": "\u0000", "\ud800": "\udc00", "sim": {"iccid": "\ud800"}}""")]
    [InlineData("""{"timestamp": {"$date": 1}, "alert": {}, "description": [], "sim": {"id": {}, "iccid": {}}}""")]
    [InlineData("""{"organisation": {"id": 1e400}, "id": -0, "event_type": {"id": 1e-400}}""")]
    public void Malformed_events_give_field_errors_and_never_throw(string json)
    {
        var result = Validate(json);

        Assert.False(result.IsValid);
        Assert.NotEmpty(result.Errors);
        Assert.All(result.Errors, e => Assert.NotEmpty(e.Value));
    }

    [Fact]
    public void An_empty_object_reports_every_required_field()
    {
        AssertErrorsAt(Validate("{}"), "timestamp", "event_type.id", "event_severity.id", "event_source.id", "organisation.id");
    }

    [Fact]
    public void Concurrent_validation_gives_the_same_results_as_sequential()
    {
        using var good = JsonDocument.Parse(ValidEventJson);
        using var bad = JsonDocument.Parse(Event(e => e["detail"]!["country"]!["id"] = "x").ToJsonString());
        var expected = AssertValid(Validator.Validate(good.RootElement, Context()));
        var failures = 0;

        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var result = Validator.Validate(i % 2 == 0 ? good.RootElement : bad.RootElement, Context());
            var ok = i % 2 == 0
                ? result.Event == expected
                : result.Errors.Keys.SequenceEqual(["detail.country.id"]);
            if (!ok)
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }
}
