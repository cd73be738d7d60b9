using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Domain.Catalog;
using EventService.Domain.Events;
using static EventService.Domain.Tests.TestData;

namespace EventService.Domain.Tests;

public sealed class EventValidatorTests
{
    [Fact]
    public void A_complete_event_is_valid_and_normalised()
    {
        var e = AssertValid(Validate(ValidEvent()));

        Assert.Equal(351732524384257, e.Id);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 8, 38, 2, TimeSpan.Zero), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.Equal(1, e.TypeId);
        Assert.Equal(EventSeverity.Info, e.Severity);
        Assert.Equal(EventSource.Network, e.Source);
        Assert.False(e.Alert);
        Assert.Equal("New location received from VLR.", e.Description);
        Assert.Equal(4711, e.OrganisationId);
        Assert.Equal("Acme Fleet", e.OrganisationName);
        Assert.Equal(123, e.UserId);
        Assert.Equal(90001, e.EndpointId);
        Assert.Equal(700001, e.SimId);
        Assert.Equal(800001, e.ImsiId);
        Assert.Equal("8988303000000012345", e.Iccid);
        Assert.Equal("901430000012345", e.Imsi);
        Assert.Equal("356938035643809", e.Imei);
        Assert.Equal("100.64.12.7", e.IpAddress);
        Assert.Null(e.ExtraJson);
        Assert.Equal(
            """{"id":3,"name":"Vodafone","country":{"id":74,"name":"Germany"},"tapcode":[{"id":1,"tapcode":"DEUD2"}]}""",
            e.DetailJson);
    }

    [Fact]
    public void Entities_json_holds_the_present_snapshots_as_they_came()
    {
        var e = AssertValid(Validate(ValidEvent()));
        var entities = JsonNode.Parse(e.EntitiesJson)!.AsObject();
        var sent = ValidEvent();

        Assert.Equal(["organisation", "user", "endpoint", "sim", "imsi"], entities.Select(p => p.Key));
        foreach (var key in new[] { "organisation", "user", "endpoint", "sim", "imsi" })
        {
            Assert.True(JsonNode.DeepEquals(sent[key], entities[key]), key);
        }
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{}]")]
    [InlineData("1")]
    [InlineData("\"event\"")]
    [InlineData("null")]
    [InlineData("true")]
    public void An_item_that_is_not_an_object_is_an_error_at_the_root(string json)
    {
        var result = Validate(json);

        AssertErrorsAt(result, "$");
        Assert.Null(result.Id);
    }

    [Fact]
    public void All_errors_are_collected_not_just_the_first()
    {
        var result = Validate(Event(e =>
        {
            e["timestamp"] = "yesterday";
            e["event_type"]!["id"] = 99;
            e["organisation"]!["id"] = "4711";
            e["sim"]!["iccid"] = "89-88";
            e["detail"]!["country"]!["id"] = "x";
        }));

        AssertErrorsAt(result, "timestamp", "event_type.id", "organisation.id", "sim.iccid");
    }

    [Fact]
    public void A_detail_error_is_merged_with_other_errors()
    {
        var result = Validate(Event(e =>
        {
            e["timestamp"] = "yesterday";
            e["detail"]!["country"]!["id"] = "x";
            e["detail"]!["tapcode"]![0]!["id"] = "y";
        }));

        AssertErrorsAt(result, "timestamp", "detail.country.id", "detail.tapcode[0].id");
        Assert.Equal(["must be of type integer"], result.Errors["detail.country.id"]);
    }

    // id

    [Fact]
    public void An_absent_id_leaves_the_id_to_the_service()
    {
        var result = Validate(Event(e => e.Remove("id")));

        Assert.Null(AssertValid(result).Id);
        Assert.Null(result.Id);
    }

    [Fact]
    public void A_null_id_leaves_the_id_to_the_service()
    {
        Assert.Null(AssertValid(Validate(Event(e => e["id"] = null))).Id);
    }

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("351732524384257", 351732524384257L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void A_positive_int64_id_is_kept(string raw, long expected)
    {
        var result = Validate(EventWithRaw(e => e["id"] = "@", raw));

        Assert.Equal(expected, AssertValid(result).Id);
        Assert.Equal(expected, result.Id);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("1E3")]
    [InlineData("9223372036854775808")]
    [InlineData("123456789012345678901234567890")]
    [InlineData("\"5\"")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1]")]
    public void An_id_that_is_not_a_positive_int64_integer_is_an_error_at_id(string raw)
    {
        var result = Validate(EventWithRaw(e => e["id"] = "@", raw));

        AssertErrorsAt(result, "id");
        Assert.Null(result.Id);
    }

    [Fact]
    public void A_rejected_event_still_reports_the_producers_id()
    {
        var result = Validate(Event(e => e.Remove("timestamp")));

        AssertErrorsAt(result, "timestamp");
        Assert.Equal(351732524384257, result.Id);
    }

    // timestamp

    [Theory]
    [InlineData("2026-11-20T11:59:29.000Z", "2026-11-20T11:59:29.000Z")]
    [InlineData("2026-11-20T07:28:00.000+0000", "2026-11-20T07:28:00.000Z")]
    [InlineData("2026-11-20T15:17:23Z", "2026-11-20T15:17:23.000Z")]
    [InlineData("2026-11-20 10:42:58", "2026-11-20T10:42:58.000Z")]
    [InlineData("2026-11-20T12:42:58+02:00", "2026-11-20T10:42:58.000Z")]
    [InlineData("2026-11-20T10:42:58+00:00", "2026-11-20T10:42:58.000Z")]
    [InlineData("2026-11-20T10:42:58.1234567Z", "2026-11-20T10:42:58.123456Z")]
    public void Each_timestamp_format_is_accepted_and_stored_as_utc_microseconds(string text, string stored)
    {
        var e = AssertValid(Validate(Event(e => e["timestamp"] = text)));

        Assert.Equal(stored, TimestampParser.Format(e.Timestamp));
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.Equal(0, e.Timestamp.Ticks % 10);
    }

    [Fact]
    public void A_missing_timestamp_is_an_error_at_timestamp()
    {
        AssertErrorsAt(Validate(Event(e => e.Remove("timestamp"))), "timestamp");
        AssertErrorsAt(Validate(Event(e => e["timestamp"] = null)), "timestamp");
    }

    [Theory]
    [InlineData("1700000000")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("\"2026-11-20\"")]
    [InlineData("\"1700000000\"")]
    [InlineData("\"20.11.2026 10:00\"")]
    [InlineData("\"\"")]
    public void A_timestamp_that_is_not_a_known_format_is_an_error_at_timestamp(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["timestamp"] = "@", raw)), "timestamp");
    }

    [Fact]
    public void A_timestamp_exactly_at_the_retention_bound_is_accepted()
    {
        AssertValid(Validate(Event(e => e["timestamp"] = "2026-10-22T00:00:00.000000Z")));
    }

    [Theory]
    [InlineData("2026-10-21T23:59:59.999999Z")]
    [InlineData("2026-10-21T23:59:59Z")]
    [InlineData("2025-01-01T00:00:00Z")]
    public void A_timestamp_beyond_the_retention_bound_is_an_error_naming_the_period(string text)
    {
        var result = Validate(Event(e => e["timestamp"] = text));

        AssertErrorsAt(result, "timestamp");
        Assert.Contains("30 days", Message(result, "timestamp"));
    }

    [Fact]
    public void A_timestamp_exactly_at_the_future_bound_is_accepted()
    {
        AssertValid(Validate(Event(e => e["timestamp"] = "2026-11-21T00:05:00.000000Z")));
    }

    [Theory]
    [InlineData("2026-11-21T00:05:00.000001Z")]
    [InlineData("2026-11-21T00:05:01Z")]
    [InlineData("2027-01-01T00:00:00Z")]
    public void A_timestamp_beyond_the_future_bound_is_an_error_naming_the_skew(string text)
    {
        var result = Validate(Event(e => e["timestamp"] = text));

        AssertErrorsAt(result, "timestamp");
        Assert.Contains("00:05:00", Message(result, "timestamp"));
    }

    [Fact]
    public void The_window_follows_the_context_clock_and_settings()
    {
        var context = new IngestContext(
            new DateTimeOffset(2026, 11, 21, 2, 0, 0, TimeSpan.FromHours(2)),
            new AcceptanceWindow(TimeSpan.FromDays(1), TimeSpan.Zero),
            ProducerPermissions.Unrestricted,
            EventLimits.Default);

        AssertValid(Validate(Event(e => e["timestamp"] = "2026-11-20T00:00:00Z"), context));
        AssertValid(Validate(Event(e => e["timestamp"] = "2026-11-21T00:00:00Z"), context));
        var old = Validate(Event(e => e["timestamp"] = "2026-11-19T23:59:59Z"), context);
        AssertErrorsAt(old, "timestamp");
        Assert.Contains("1 day", Message(old, "timestamp"));
        AssertErrorsAt(Validate(Event(e => e["timestamp"] = "2026-11-21T00:00:01Z"), context), "timestamp");
    }

    // alert

    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    [InlineData("\"true\"", true)]
    [InlineData("\"false\"", false)]
    [InlineData("\"1\"", true)]
    [InlineData("\"0\"", false)]
    [InlineData("null", false)]
    public void Alert_accepts_booleans_and_their_producer_spellings(string raw, bool expected)
    {
        Assert.Equal(expected, AssertValid(Validate(EventWithRaw(e => e["alert"] = "@", raw))).Alert);
    }

    [Fact]
    public void An_absent_alert_is_false()
    {
        Assert.False(AssertValid(Validate(Event(e => e.Remove("alert")))).Alert);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-1")]
    [InlineData("1.0")]
    [InlineData("\"yes\"")]
    [InlineData("\"TRUE\"")]
    [InlineData("\"\"")]
    [InlineData("[]")]
    [InlineData("{}")]
    public void Any_other_alert_is_an_error_at_alert(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["alert"] = "@", raw)), "alert");
    }

    // description

    [Fact]
    public void A_null_or_absent_description_is_null()
    {
        Assert.Null(AssertValid(Validate(Event(e => e["description"] = null))).Description);
        Assert.Null(AssertValid(Validate(Event(e => e.Remove("description")))).Description);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("true")]
    [InlineData("{\"text\": \"x\"}")]
    [InlineData("[\"x\"]")]
    public void A_description_that_is_not_a_string_is_an_error_at_description(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["description"] = "@", raw)), "description");
    }

    // event_type

    [Fact]
    public void An_unknown_event_type_is_an_error_at_event_type_id()
    {
        var result = Validate(Event(e => e["event_type"]!["id"] = 99));

        AssertErrorsAt(result, "event_type.id");
        Assert.Contains("99", Message(result, "event_type.id"));
        AssertErrorsAt(Validate(Event(e => e["event_type"]!["id"] = 66)), "event_type.id");
        AssertErrorsAt(Validate(Event(e => e["event_type"]!["id"] = 3_000_000_000)), "event_type.id");
    }

    [Fact]
    public void A_missing_event_type_id_is_an_error_at_event_type_id()
    {
        AssertErrorsAt(Validate(Event(e => e.Remove("event_type"))), "event_type.id");
        AssertErrorsAt(Validate(Event(e => e["event_type"] = null)), "event_type.id");
        AssertErrorsAt(Validate(Event(e => e["event_type"] = new JsonObject { ["description"] = "Update location" })), "event_type.id");
        AssertErrorsAt(Validate(Event(e => e["event_type"]!["id"] = null)), "event_type.id");
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("1.5")]
    [InlineData("true")]
    public void An_event_type_id_that_is_not_an_integer_is_an_error_at_event_type_id(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_type"]!["id"] = "@", raw)), "event_type.id");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("\"Update location\"")]
    [InlineData("[1]")]
    public void An_event_type_that_is_not_an_object_is_an_error_at_event_type(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_type"] = "@", raw)), "event_type");
    }

    [Fact]
    public void The_event_type_description_is_ignored()
    {
        var e = AssertValid(Validate(Event(e => e["event_type"]!["description"] = "whatever the producer calls it")));

        Assert.Equal(1, e.TypeId);
        AssertValid(Validate(Event(e => ((JsonObject)e["event_type"]!).Remove("description"))));
    }

    // event_severity

    [Theory]
    [InlineData(0, EventSeverity.Info)]
    [InlineData(1, EventSeverity.Warn)]
    [InlineData(2, EventSeverity.Critical)]
    public void A_severity_id_is_read(int id, EventSeverity expected)
    {
        Assert.Equal(expected, AssertValid(Validate(Event(e => e["event_severity"]!["id"] = id))).Severity);
    }

    [Fact]
    public void The_severity_id_is_authoritative_over_its_description()
    {
        var e = AssertValid(Validate(Event(e => e["event_severity"] = new JsonObject { ["id"] = 2, ["description"] = "Info" })));

        Assert.Equal(EventSeverity.Critical, e.Severity);
    }

    [Theory]
    [InlineData("WARN", EventSeverity.Warn)]
    [InlineData("Warn", EventSeverity.Warn)]
    [InlineData("INFO", EventSeverity.Info)]
    [InlineData("info", EventSeverity.Info)]
    [InlineData("CRITICAL", EventSeverity.Critical)]
    public void Without_an_id_the_severity_description_is_read_in_any_casing(string description, EventSeverity expected)
    {
        var e = AssertValid(Validate(Event(e => e["event_severity"] = new JsonObject { ["description"] = description })));

        Assert.Equal(expected, e.Severity);
    }

    [Theory]
    [InlineData("""{"id": 3}""")]
    [InlineData("""{"id": -1}""")]
    [InlineData("""{"id": "1"}""")]
    [InlineData("""{"id": 1.5}""")]
    [InlineData("""{"description": "Loud"}""")]
    [InlineData("""{"description": 1}""")]
    [InlineData("""{}""")]
    [InlineData("""{"id": null, "description": null}""")]
    [InlineData("null")]
    public void A_severity_that_is_neither_a_known_id_nor_description_is_an_error_at_event_severity_id(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_severity"] = "@", raw)), "event_severity.id");
    }

    [Fact]
    public void A_missing_or_malformed_severity_object_is_an_error()
    {
        AssertErrorsAt(Validate(Event(e => e.Remove("event_severity"))), "event_severity.id");
        AssertErrorsAt(Validate(Event(e => e["event_severity"] = 1)), "event_severity");
    }

    // event_source

    [Theory]
    [InlineData(0, EventSource.Network)]
    [InlineData(1, EventSource.PolicyControl)]
    [InlineData(2, EventSource.Api)]
    public void A_source_id_is_read(int id, EventSource expected)
    {
        Assert.Equal(expected, AssertValid(Validate(Event(e => e["event_source"] = new JsonObject { ["id"] = id }))).Source);
    }

    [Theory]
    [InlineData("name", "Policy Control", EventSource.PolicyControl)]
    [InlineData("name", "API", EventSource.Api)]
    [InlineData("description", "network", EventSource.Network)]
    [InlineData("description", "POLICY CONTROL", EventSource.PolicyControl)]
    public void Without_an_id_the_source_description_or_name_is_read(string property, string text, EventSource expected)
    {
        var e = AssertValid(Validate(Event(e => e["event_source"] = new JsonObject { [property] = text })));

        Assert.Equal(expected, e.Source);
    }

    [Fact]
    public void A_source_name_beside_an_id_is_tolerated()
    {
        var e = AssertValid(Validate(Event(e => e["event_source"] = new JsonObject { ["id"] = 1, ["name"] = "Policy Control" })));

        Assert.Equal(EventSource.PolicyControl, e.Source);
    }

    [Theory]
    [InlineData("""{"id": 3}""")]
    [InlineData("""{"id": "0"}""")]
    [InlineData("""{"name": "Satellite"}""")]
    [InlineData("""{"description": ""}""")]
    [InlineData("""{}""")]
    [InlineData("null")]
    public void A_source_that_is_neither_a_known_id_nor_text_is_an_error_at_event_source_id(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["event_source"] = "@", raw)), "event_source.id");
    }

    [Fact]
    public void A_source_that_is_not_an_object_is_an_error_at_event_source()
    {
        AssertErrorsAt(Validate(Event(e => e["event_source"] = "Network")), "event_source");
    }

    [Fact]
    public void A_source_the_credential_may_not_post_is_an_error_at_event_source_id()
    {
        var apiOnly = Context(new ProducerPermissions(new HashSet<EventSource> { EventSource.Api }, null));

        var result = Validate(ValidEvent(), apiOnly);

        AssertErrorsAt(result, "event_source.id");
        Assert.Contains("Network (0)", Message(result, "event_source.id"));
        AssertValid(Validate(Event(e => e["event_source"] = new JsonObject { ["id"] = 2 }), apiOnly));
    }

    [Fact]
    public void The_source_permission_applies_to_a_source_read_from_its_name()
    {
        var apiOnly = Context(new ProducerPermissions(new HashSet<EventSource> { EventSource.Api }, null));

        var result = Validate(Event(e => e["event_source"] = new JsonObject { ["name"] = "Policy Control" }), apiOnly);

        AssertErrorsAt(result, "event_source.id");
    }

    // organisation

    [Fact]
    public void A_missing_organisation_id_is_an_error_at_organisation_id()
    {
        AssertErrorsAt(Validate(Event(e => e.Remove("organisation"))), "organisation.id");
        AssertErrorsAt(Validate(Event(e => e["organisation"] = null)), "organisation.id");
        AssertErrorsAt(Validate(Event(e => e["organisation"] = new JsonObject { ["name"] = "Acme" })), "organisation.id");
    }

    [Theory]
    [InlineData("\"4711\"")]
    [InlineData("4711.5")]
    [InlineData("9223372036854775808")]
    [InlineData("null")]
    public void An_organisation_id_that_is_not_an_int64_is_an_error_at_organisation_id(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["organisation"]!["id"] = "@", raw)), "organisation.id");
    }

    [Fact]
    public void An_organisation_that_is_not_an_object_is_an_error_at_organisation()
    {
        AssertErrorsAt(Validate(Event(e => e["organisation"] = 4711)), "organisation");
    }

    [Fact]
    public void An_organisation_name_is_optional_but_must_be_a_string()
    {
        Assert.Null(AssertValid(Validate(Event(e => ((JsonObject)e["organisation"]!).Remove("name")))).OrganisationName);
        Assert.Null(AssertValid(Validate(Event(e => e["organisation"]!["name"] = null))).OrganisationName);
        AssertErrorsAt(Validate(Event(e => e["organisation"]!["name"] = 5)), "organisation.name");
    }

    [Fact]
    public void A_credential_bound_to_an_organisation_may_only_post_its_events()
    {
        var bound = Context(new ProducerPermissions(ProducerPermissions.Unrestricted.Sources, 4711));

        AssertValid(Validate(ValidEvent(), bound));
        var result = Validate(Event(e => e["organisation"]!["id"] = 4712), bound);
        AssertErrorsAt(result, "organisation.id");
        Assert.Contains("4711", Message(result, "organisation.id"));
        AssertValid(Validate(Event(e => e["organisation"]!["id"] = 4712)));
    }

    // user, endpoint, sim, imsi

    [Theory]
    [InlineData("user")]
    [InlineData("endpoint")]
    [InlineData("sim")]
    [InlineData("imsi")]
    public void A_missing_and_a_null_entity_mean_the_same(string key)
    {
        var missing = AssertValid(Validate(Event(e => e.Remove(key))));
        var nulled = AssertValid(Validate(Event(e => e[key] = null)));

        Assert.Equal(missing, nulled);
        Assert.False(JsonNode.Parse(missing.EntitiesJson)!.AsObject().ContainsKey(key));
    }

    [Fact]
    public void Absent_entities_leave_their_columns_null()
    {
        var e = AssertValid(Validate(Event(e =>
        {
            e.Remove("user");
            e.Remove("endpoint");
            e["sim"] = null;
            e["imsi"] = null;
        })));

        Assert.Null(e.UserId);
        Assert.Null(e.EndpointId);
        Assert.Null(e.SimId);
        Assert.Null(e.ImsiId);
        Assert.Null(e.Iccid);
        Assert.Null(e.Imsi);
        Assert.Null(e.Imei);
        Assert.Null(e.IpAddress);
        Assert.Equal("""{"organisation":{"id":4711,"name":"Acme Fleet"}}""", e.EntitiesJson);
    }

    [Theory]
    [InlineData("user", "\"dana\"")]
    [InlineData("endpoint", "90001")]
    [InlineData("sim", "[]")]
    [InlineData("imsi", "true")]
    public void An_entity_that_is_not_an_object_is_an_error_at_its_key(string key, string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e[key] = "@", raw)), key);
    }

    [Theory]
    [InlineData("user")]
    [InlineData("endpoint")]
    [InlineData("sim")]
    [InlineData("imsi")]
    public void An_entity_without_an_id_is_an_error_at_its_id(string key)
    {
        AssertErrorsAt(Validate(Event(e => ((JsonObject)e[key]!).Remove("id"))), key + ".id");
        AssertErrorsAt(Validate(Event(e => e[key]!["id"] = null)), key + ".id");
    }

    [Theory]
    [InlineData("user", "\"123\"")]
    [InlineData("endpoint", "1.5")]
    [InlineData("sim", "1e3")]
    [InlineData("imsi", "9223372036854775808")]
    public void An_entity_id_that_is_not_an_int64_is_an_error_at_its_id(string key, string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e[key]!["id"] = "@", raw)), key + ".id");
    }

    [Fact]
    public void Unknown_entity_properties_are_kept()
    {
        var e = AssertValid(Validate(Event(e =>
        {
            e["endpoint"]!["firmware"] = new JsonObject { ["version"] = "1.2.3", ["flags"] = new JsonArray(1, 2.5) };
            e["user"]!["locale"] = "de";
        })));

        var entities = JsonNode.Parse(e.EntitiesJson)!;
        Assert.Equal("1.2.3", (string?)entities["endpoint"]!["firmware"]!["version"]);
        Assert.Equal("de", (string?)entities["user"]!["locale"]);
        Assert.Contains("\"flags\":[1,2.5]", e.EntitiesJson);
    }

    [Theory]
    [InlineData("""{"name": 5}""", "user.name")]
    [InlineData("""{"username": []}""", "user.username")]
    public void User_names_must_be_strings(string extra, string key)
    {
        var patch = JsonNode.Parse(extra)!.AsObject().Single();
        AssertErrorsAt(Validate(Event(e => e["user"]![patch.Key] = patch.Value!.DeepClone())), key);
    }

    [Theory]
    [InlineData("8988303000000012345")]
    [InlineData("89883030000000123456")]
    [InlineData("8988303000000012345678")]
    [InlineData("1")]
    public void An_iccid_sent_as_a_number_keeps_its_exact_digits(string digits)
    {
        var e = AssertValid(Validate(EventWithRaw(e => e["sim"]!["iccid"] = "@", digits)));

        Assert.Equal(digits, e.Iccid);
        Assert.Equal(digits, (string?)JsonNode.Parse(e.EntitiesJson)!["sim"]!["iccid"]);
        Assert.Contains($"\"iccid\":\"{digits}\"", e.EntitiesJson);
    }

    [Fact]
    public void An_iccid_sent_as_a_string_is_kept()
    {
        Assert.Equal("0898830300000001234", AssertValid(Validate(Event(e => e["sim"]!["iccid"] = "0898830300000001234"))).Iccid);
    }

    [Fact]
    public void A_null_or_absent_iccid_is_null()
    {
        Assert.Null(AssertValid(Validate(Event(e => e["sim"]!["iccid"] = null))).Iccid);
        Assert.Null(AssertValid(Validate(Event(e => ((JsonObject)e["sim"]!).Remove("iccid")))).Iccid);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"89ab\"")]
    [InlineData("\" 8988\"")]
    [InlineData("\"89883030000000123456789\"")]
    [InlineData("89883030000000123456789")]
    [InlineData("-8988")]
    [InlineData("8988.0")]
    [InlineData("8.988e18")]
    [InlineData("true")]
    [InlineData("{}")]
    public void An_iccid_that_is_not_1_to_22_digits_is_an_error_at_sim_iccid(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["sim"]!["iccid"] = "@", raw)), "sim.iccid");
    }

    [Fact]
    public void An_imsi_sent_as_a_number_keeps_its_exact_digits()
    {
        var e = AssertValid(Validate(EventWithRaw(e => e["imsi"]!["imsi"] = "@", "901430000012345")));

        Assert.Equal("901430000012345", e.Imsi);
        Assert.Contains("\"imsi\":\"901430000012345\"", e.EntitiesJson);
    }

    [Theory]
    [InlineData("9014300000123456")]
    [InlineData("\"9014300000123456\"")]
    [InlineData("\"90143x\"")]
    [InlineData("-1")]
    public void An_imsi_that_is_not_1_to_15_digits_is_an_error_at_imsi_imsi(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["imsi"]!["imsi"] = "@", raw)), "imsi.imsi");
    }

    [Fact]
    public void An_imei_may_be_a_string_a_number_or_null()
    {
        Assert.Equal("356938035643809", AssertValid(Validate(Event(e => e["endpoint"]!["imei"] = "356938035643809"))).Imei);
        var fromNumber = AssertValid(Validate(EventWithRaw(e => e["endpoint"]!["imei"] = "@", "35693803564380912")));
        Assert.Equal("35693803564380912", fromNumber.Imei);
        Assert.Contains("\"imei\":\"35693803564380912\"", fromNumber.EntitiesJson);
        Assert.Null(AssertValid(Validate(Event(e => e["endpoint"]!["imei"] = null))).Imei);
    }

    [Theory]
    [InlineData("356938035643809123")]
    [InlineData("\"35693803-564380\"")]
    [InlineData("1.5")]
    public void An_imei_that_is_not_1_to_17_digits_is_an_error_at_endpoint_imei(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["endpoint"]!["imei"] = "@", raw)), "endpoint.imei");
    }

    [Fact]
    public void An_ip_address_may_be_a_string_or_null()
    {
        Assert.Equal("2001:db8::1", AssertValid(Validate(Event(e => e["endpoint"]!["ip_address"] = "2001:db8::1"))).IpAddress);
        Assert.Null(AssertValid(Validate(Event(e => e["endpoint"]!["ip_address"] = null))).IpAddress);
    }

    [Fact]
    public void An_ip_address_that_is_not_a_short_string_is_an_error_at_endpoint_ip_address()
    {
        AssertErrorsAt(Validate(Event(e => e["endpoint"]!["ip_address"] = 1684275207)), "endpoint.ip_address");
        AssertErrorsAt(Validate(Event(e => e["endpoint"]!["ip_address"] = new string('1', 65))), "endpoint.ip_address");
        AssertValid(Validate(Event(e => e["endpoint"]!["ip_address"] = new string('1', 64))));
    }

    [Fact]
    public void Endpoint_tags_must_be_a_string_or_null()
    {
        AssertValid(Validate(Event(e => e["endpoint"]!["tags"] = null)));
        AssertErrorsAt(Validate(Event(e => e["endpoint"]!["tags"] = new JsonArray("fleet", "eu"))), "endpoint.tags");
    }

    // detail

    [Fact]
    public void A_missing_or_null_detail_is_stored_as_null()
    {
        Assert.Null(AssertValid(Validate(Event(e => e.Remove("detail")))).DetailJson);
        Assert.Null(AssertValid(Validate(Event(e => e["detail"] = null))).DetailJson);
    }

    [Fact]
    public void An_empty_detail_is_kept()
    {
        Assert.Equal("{}", AssertValid(Validate(Event(e => e["detail"] = new JsonObject()))).DetailJson);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    [InlineData("5")]
    [InlineData("true")]
    public void A_detail_that_is_not_an_object_is_an_error_at_detail(string raw)
    {
        AssertErrorsAt(Validate(EventWithRaw(e => e["detail"] = "@", raw)), "detail");
    }

    [Fact]
    public void A_detail_that_breaks_the_type_schema_is_an_error_at_its_path()
    {
        var result = Validate(Event(e => e["detail"]!["country"]!["id"] = "x"));

        AssertErrorsAt(result, "detail.country.id");
        Assert.Equal(["must be of type integer"], result.Errors["detail.country.id"]);
    }

    [Fact]
    public void The_detail_is_checked_against_the_schema_of_the_events_own_type()
    {
        // Type 12 has no schema, so the same detail passes there.
        AssertValid(Validate(Event(e =>
        {
            e["event_type"]!["id"] = 12;
            e["detail"]!["country"]!["id"] = "x";
        })));
    }

    [Fact]
    public void Unknown_detail_fields_are_kept_as_they_came()
    {
        var e = AssertValid(Validate(Event(e => e["detail"]!["future_field"] = new JsonObject { ["volume"] = 1.2500 })));

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"id":3,"name":"Vodafone","country":{"id":74,"name":"Germany"},"tapcode":[{"id":1,"tapcode":"DEUD2"}],"future_field":{"volume":1.25}}"""),
            JsonNode.Parse(e.DetailJson!)));
    }

    // unknown top-level properties

    [Fact]
    public void Unknown_top_level_properties_are_kept_verbatim_in_extra_json()
    {
        var json = EventWithRaw(e => e["future"] = "@", """{"a": [1, 2.50, "x", null], "ü": "€"}""");
        json = json.Insert(json.LastIndexOf('}'), ""","flag": true""");

        var e = AssertValid(Validate(json));

        Assert.Equal("""{"future":{"a":[1,2.50,"x",null],"ü":"€"},"flag":true}""", e.ExtraJson);
    }

    [Fact]
    public void Without_unknown_properties_extra_json_is_null()
    {
        Assert.Null(AssertValid(Validate(ValidEvent())).ExtraJson);
    }

    [Fact]
    public void Known_properties_never_land_in_extra_json()
    {
        var e = AssertValid(Validate(Event(e => e["Timestamp"] = "case differs")));

        Assert.Equal("""{"Timestamp":"case differs"}""", e.ExtraJson);
    }
}
