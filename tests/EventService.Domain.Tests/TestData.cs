using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Domain.Tests;

internal static class TestData
{
    public static readonly DateTimeOffset Now = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    public static readonly string CatalogJson = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "event-types.json"));

    public static readonly EventCatalog Catalog = new(EventCatalog.ParseCatalogDocument(CatalogJson));

    public static readonly EventValidator Validator = new(Catalog);

    public const string ValidEventJson = """
        {
          "id": 351732524384257,
          "timestamp": "2026-11-20T08:38:02.000Z",
          "alert": false,
          "description": "New location received from VLR.",
          "event_type": { "id": 1, "description": "Update location" },
          "event_source": { "id": 0, "description": "Network" },
          "event_severity": { "id": 0, "description": "Info" },
          "organisation": { "id": 4711, "name": "Acme Fleet" },
          "user": { "id": 123, "name": "Dana Ops", "username": "dana@acme.example" },
          "endpoint": { "id": 90001, "name": "truck-017", "ip_address": "100.64.12.7", "tags": "fleet,eu", "imei": "356938035643809" },
          "sim": { "id": 700001, "iccid": "8988303000000012345", "production_date": "2025-03-01T10:00:00.000Z" },
          "imsi": { "id": 800001, "imsi": "901430000012345", "import_date": "2025-03-01T10:00:00.000Z" },
          "detail": { "id": 3, "name": "Vodafone", "country": { "id": 74, "name": "Germany" }, "tapcode": [ { "id": 1, "tapcode": "DEUD2" } ] }
        }
        """;

    public static IngestContext Context(
        ProducerPermissions? permissions = null,
        EventLimits? limits = null,
        DateTimeOffset? now = null) =>
        new(now ?? Now, AcceptanceWindow.Default, permissions ?? ProducerPermissions.Unrestricted, limits ?? EventLimits.Default);

    public static JsonObject ValidEvent() => JsonNode.Parse(ValidEventJson)!.AsObject();

    /// <summary>The valid event with one edit applied.</summary>
    public static JsonObject Event(Action<JsonObject> edit)
    {
        var e = ValidEvent();
        edit(e);
        return e;
    }

    /// <summary>
    /// The valid event as text, with the JSON string "@" replaced by <paramref name="rawJson"/>: for inputs a JsonNode
    /// cannot hold (escaped lone surrogates).
    /// </summary>
    public static string EventWithRaw(Action<JsonObject> placeholders, string rawJson)
    {
        var text = Event(placeholders).ToJsonString();
        Assert.Contains("\"@\"", text);
        return text.Replace("\"@\"", rawJson, StringComparison.Ordinal);
    }

    public static EventValidationResult Validate(JsonNode? item, IngestContext? context = null) =>
        Validate(item?.ToJsonString() ?? "null", context);

    public static EventValidationResult Validate(string json, IngestContext? context = null)
    {
        using var document = JsonDocument.Parse(json);
        return Validator.Validate(document.RootElement, context ?? Context());
    }

    public static ValidatedEvent AssertValid(EventValidationResult result)
    {
        Assert.True(result.IsValid, "expected valid, got errors: " + Describe(result));
        Assert.Empty(result.Errors);
        return result.Event!;
    }

    /// <summary>The result is invalid with errors at exactly <paramref name="keys"/>, each with readable messages.</summary>
    public static void AssertErrorsAt(EventValidationResult result, params string[] keys)
    {
        Assert.False(result.IsValid, "expected errors at " + string.Join(", ", keys));
        Assert.Null(result.Event);
        Assert.Equal(keys.Order(StringComparer.Ordinal), result.Errors.Keys.Order(StringComparer.Ordinal));
        foreach (var messages in result.Errors.Values)
        {
            Assert.NotEmpty(messages);
            Assert.All(messages, m => Assert.False(string.IsNullOrWhiteSpace(m)));
        }
    }

    public static string Message(EventValidationResult result, string key) => string.Join(" | ", result.Errors[key]);

    public static string Describe(EventValidationResult result) =>
        string.Join("; ", result.Errors.Select(e => $"{e.Key}: {string.Join(" | ", e.Value)}"));
}
