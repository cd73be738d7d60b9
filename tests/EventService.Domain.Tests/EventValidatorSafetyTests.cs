using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Domain.Events;
using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

/// <summary>Limits, characters PostgreSQL rejects, who refuses duplicate names, and inputs that must never make validation throw.</summary>
public sealed class EventValidatorSafetyTests
{
    private static IngestContext Limited(int maxDepth = 16, int maxStringLength = 4096, int maxCustomProperties = 512, int maxEventBytes = 64 * 1024) =>
        Context(limits: new EventLimits { MaxDepth = maxDepth, MaxStringLength = maxStringLength, MaxCustomProperties = maxCustomProperties, MaxEventBytes = maxEventBytes });

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
    public void Properties_and_array_elements_of_detail_and_extras_up_to_the_limit_are_accepted()
    {
        // detail: a, b, c (nested in a) = 3; extras: x = 1, y and its three elements = 4.
        var e = Event(e =>
        {
            e["detail"] = JsonNode.Parse("""{"a": {"c": 1}, "b": 2}""");
            e["x"] = 1;
            e["y"] = new JsonArray(1, 2, 3);
            RemoveEntityExtras(e);
        });

        AssertValid(Validate(e, Limited(maxCustomProperties: 8)));
        var result = Validate(e, Limited(maxCustomProperties: 7));
        AssertErrorsAt(result, "y");
        Assert.Contains("at most 7", Message(result, "y"));
        Assert.Contains("array elements", Message(result, "y"));
    }

    [Fact]
    public void Too_many_properties_inside_detail_is_an_error_at_detail()
    {
        var detail = new JsonObject();
        for (var i = 0; i < 6; i++)
        {
            detail["p" + i] = new JsonObject { ["q"] = i };
        }

        AssertErrorsAt(Validate(Event(e => { e["detail"] = detail; RemoveEntityExtras(e); }), Limited(maxCustomProperties: 11)), "detail");
        AssertValid(Validate(Event(e => { e["detail"] = detail.DeepClone(); RemoveEntityExtras(e); }), Limited(maxCustomProperties: 12)));
    }

    [Fact]
    public void Array_elements_inside_detail_count_at_every_depth()
    {
        // tapcode, its 3 elements and their 2 properties each = 10; values = 1.
        var detail = JsonNode.Parse("""{"tapcode": [{"id": 1, "tapcode": "A"}, {"id": 2, "tapcode": "B"}, {"id": 3, "tapcode": "C"}]}""")!;
        var withValues = JsonNode.Parse("""{"values": [[1, 2], [3]]}""")!; // values, 2 arrays, 3 numbers = 6

        AssertValid(Validate(Event(e => { e["detail"] = detail.DeepClone(); RemoveEntityExtras(e); }), Limited(maxCustomProperties: 10)));
        AssertErrorsAt(Validate(Event(e => { e["detail"] = detail.DeepClone(); RemoveEntityExtras(e); }), Limited(maxCustomProperties: 9)), "detail");
        AssertValid(Validate(Event(e => { e["detail"] = withValues.DeepClone(); RemoveEntityExtras(e); }), Limited(maxCustomProperties: 6)));
        AssertErrorsAt(Validate(Event(e => { e["detail"] = withValues.DeepClone(); RemoveEntityExtras(e); }), Limited(maxCustomProperties: 5)), "detail");
    }

    [Fact]
    public void A_long_array_in_an_extra_property_is_refused_by_the_default_budget()
    {
        // The security review's event: one extra array of thousands of strings, each within the string limit.
        var blob = new JsonArray();
        for (var i = 0; i < 600; i++)
        {
            blob.Add("A");
        }

        var result = Validate(Event(e => e["blob"] = blob), Limited(maxEventBytes: 10 * 1024 * 1024));

        AssertErrorsAt(result, "blob");
        Assert.Contains("at most 512", Message(result, "blob"));
    }

    [Fact]
    public void Emnify_fields_of_the_entities_do_not_count_as_custom_properties()
    {
        AssertValid(Validate(Event(e => { e["detail"] = null; RemoveEntityExtras(e); }), Limited(maxCustomProperties: 0)));
    }

    [Theory]
    [InlineData("organisation")]
    [InlineData("user")]
    [InlineData("endpoint")]
    [InlineData("sim")]
    [InlineData("imsi")]
    [InlineData("event_type")]
    [InlineData("event_source")]
    [InlineData("event_severity")]
    public void Unknown_properties_inside_emnify_objects_count_with_their_elements(string entity)
    {
        // blob and its 3 elements = 4.
        var e = Event(e =>
        {
            e["detail"] = null;
            RemoveEntityExtras(e);
            e[entity]!["blob"] = new JsonArray("a", "b", "c");
        });

        AssertValid(Validate(e, Limited(maxCustomProperties: 4)));
        var result = Validate(e, Limited(maxCustomProperties: 3));
        AssertErrorsAt(result, entity + ".blob");
        Assert.Contains("unknown properties", Message(result, entity + ".blob"));
    }

    [Fact]
    public void Unknown_properties_inside_entities_share_the_budget_with_detail_and_extras()
    {
        // The valid event's sim.production_date and imsi.import_date = 2; detail: id, name, country, its id and name,
        // tapcode, its element and the element's id and tapcode = 9; future = 1.
        var e = Event(e => e["future"] = 1);

        AssertValid(Validate(e, Limited(maxCustomProperties: 12)));
        AssertErrorsAt(Validate(e, Limited(maxCustomProperties: 11)), "future");
    }

    // size in bytes

    [Fact]
    public void An_event_of_exactly_the_byte_limit_is_accepted_and_one_byte_more_is_an_error_at_the_root()
    {
        var json = Event(e => e["description"] = "€").ToJsonString(); // 3 bytes in UTF-8, 1 character
        var bytes = System.Text.Encoding.UTF8.GetByteCount(json);

        AssertValid(Validate(json, Limited(maxEventBytes: bytes)));
        var result = Validate(json, Limited(maxEventBytes: bytes - 1));
        AssertErrorsAt(result, "$");
        Assert.Contains($"at most {bytes - 1} bytes", Message(result, "$"));
        Assert.Contains($"this one is {bytes}", Message(result, "$"));
        Assert.Equal(351732524384257, result.Id);
    }

    [Fact]
    public void Whitespace_as_posted_counts_toward_the_byte_limit()
    {
        var compact = ValidEvent().ToJsonString();
        var compactBytes = System.Text.Encoding.UTF8.GetByteCount(compact);

        AssertValid(Validate(compact, Limited(maxEventBytes: compactBytes)));
        AssertErrorsAt(Validate(ValidEventJson, Limited(maxEventBytes: compactBytes)), "$");
    }

    [Fact]
    public void An_oversized_event_is_not_read_further()
    {
        // Every other problem in it goes unreported: the size is checked before the walk.
        var json = Event(e =>
        {
            e["event_type"] = new JsonObject { ["id"] = 9999 };
            e.Remove("timestamp");
            e["id"] = "not a number";
            e["blob"] = new string('x', 5000);
        }).ToJsonString();

        var result = Validate(json, Limited(maxEventBytes: 4096));

        AssertErrorsAt(result, "$");
        Assert.Null(result.Id);
    }

    [Fact]
    public void The_default_byte_limit_is_64_KiB()
    {
        Assert.Equal(65536, EventLimits.Default.MaxEventBytes);
        var padding = new string('x', 4000);
        var json = Event(e =>
        {
            var blob = new JsonObject();
            for (var i = 0; i < 17; i++)
            {
                blob["p" + i] = padding;
            }

            e["blob"] = blob;
        }).ToJsonString();

        Assert.True(json.Length > 65536);
        AssertErrorsAt(Validate(json), "$");
    }

    /// <summary>The valid event's sim.production_date and imsi.import_date, which count toward the budget.</summary>
    private static void RemoveEntityExtras(JsonObject e)
    {
        e["sim"]!.AsObject().Remove("production_date");
        e["imsi"]!.AsObject().Remove("import_date");
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
