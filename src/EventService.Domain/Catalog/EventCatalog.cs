using System.Collections.Frozen;
using System.Text.Json;
using EventService.Domain.Json;
using Json.Schema;

namespace EventService.Domain.Catalog;

/// <summary>
/// The event types the service accepts, with their compiled <c>detail</c> schemas.
/// Immutable: a changed catalog is a new instance.
/// </summary>
public sealed class EventCatalog
{
    // JsonSchema.Net 8 builds a fresh evaluation context per call and only reads these options, so shared instances
    // serve concurrent requests. Most details are valid: a compiled check of the catalog's plain keywords (DetailShape)
    // answers most of them; the library's cheap flag answer comes next, the list only on failure.
    private static readonly EvaluationOptions FlagEvaluation = new() { OutputFormat = OutputFormat.Flag };
    private static readonly EvaluationOptions ListEvaluation = new() { OutputFormat = OutputFormat.List };

    private readonly FrozenDictionary<int, Entry> _byId;

    public EventCatalog(IEnumerable<EventTypeDefinition> types)
    {
        ArgumentNullException.ThrowIfNull(types);

        // Built with the default options, every schema would be registered in SchemaRegistry.Global under a generated
        // URI: each catalog instance would stay reachable forever, and an $id in one catalog could clash with another.
        var buildOptions = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        var entries = new Dictionary<int, Entry>();
        foreach (var type in types)
        {
            ArgumentNullException.ThrowIfNull(type, nameof(types));
            if (entries.ContainsKey(type.Id))
            {
                throw new ArgumentException($"Event type {type.Id} occurs more than once.", nameof(types));
            }

            var schema = Compile(type, buildOptions);
            entries[type.Id] = new Entry(type, schema, schema is null ? null : DetailShape.TryCompile(type.DetailSchema!));
        }

        _byId = entries.ToFrozenDictionary();
        Types = [.. entries.Values.Select(e => e.Definition).OrderBy(d => d.Id)];
    }

    public IReadOnlyList<EventTypeDefinition> Types { get; }

    /// <summary>Reads the built-in catalog document (the format of emnify's <c>event-types.json</c>).</summary>
    /// <exception cref="FormatException">The document is not a catalog.</exception>
    public static IReadOnlyList<EventTypeDefinition> ParseCatalogDocument(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"The event type catalog is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("event_types", out var list)
                || list.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("The event type catalog must be a JSON object with an \"event_types\" array.");
            }

            var types = new List<EventTypeDefinition>(list.GetArrayLength());
            var seen = new HashSet<int>();
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"event_types[{index}]";
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException($"The event type catalog's {where} must be an object.");
                }

                if (!item.TryGetProperty("id", out var idElement)
                    || idElement.ValueKind != JsonValueKind.Number
                    || !idElement.TryGetInt32(out var id)
                    || id < 0)
                {
                    throw new FormatException($"The event type catalog's {where}.id must be a non-negative integer.");
                }

                if (!seen.Add(id))
                {
                    throw new FormatException($"The event type catalog lists id {id} more than once.");
                }

                if (!item.TryGetProperty("description", out var descriptionElement)
                    || descriptionElement.ValueKind != JsonValueKind.String
                    || string.IsNullOrWhiteSpace(descriptionElement.GetString()))
                {
                    throw new FormatException($"The event type catalog's {where}.description must be a non-empty string.");
                }

                string? section = null;
                if (item.TryGetProperty("section", out var sectionElement) && sectionElement.ValueKind != JsonValueKind.Null)
                {
                    section = sectionElement.ValueKind == JsonValueKind.String
                        ? sectionElement.GetString()
                        : throw new FormatException($"The event type catalog's {where}.section must be a string or null.");
                }

                string? schema = null;
                if (item.TryGetProperty("detail_schema", out var schemaElement) && schemaElement.ValueKind != JsonValueKind.Null)
                {
                    schema = schemaElement.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
                        ? CompactJson.Compact(schemaElement)
                        : throw new FormatException($"The event type catalog's {where}.detail_schema must be a JSON Schema object or null.");
                }

                types.Add(new EventTypeDefinition(id, descriptionElement.GetString()!, section, schema, BuiltIn: true));
                index++;
            }

            return types;
        }
    }

    public bool TryGet(int typeId, out EventTypeDefinition definition)
    {
        if (_byId.TryGetValue(typeId, out var entry))
        {
            definition = entry.Definition;
            return true;
        }

        definition = null!;
        return false;
    }

    /// <summary>
    /// Checks a <c>detail</c> object against the type's schema (unknown properties allowed).
    /// Returns field errors keyed by JSON path below <paramref name="pathPrefix"/> (e.g. <c>detail.country.id</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> ValidateDetail(int typeId, JsonElement detail, string pathPrefix = "detail")
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        if (!_byId.TryGetValue(typeId, out var entry))
        {
            return Single(pathPrefix, $"cannot be checked: unknown event type {typeId}");
        }

        if (detail.ValueKind != JsonValueKind.Object)
        {
            return Single(pathPrefix, "must be an object");
        }

        if (entry.Schema is null || entry.Shape?.IsCertainlyValid(detail) == true)
        {
            return FieldErrors.None;
        }

        EvaluationResults results;
        try
        {
            if (entry.Schema.Evaluate(detail, FlagEvaluation).IsValid)
            {
                return FieldErrors.None;
            }

            results = entry.Schema.Evaluate(detail, ListEvaluation);
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException { InnerException: InvalidOperationException })
        {
            // A keyword that reads string values (enum, const, pattern) hits an unpaired surrogate, or writes one into
            // its error message (enum quotes the value it received).
            return Single(pathPrefix, "contains invalid Unicode (an unpaired surrogate)");
        }
        catch (FormatException)
        {
            // enum and const compare numbers as decimals: beyond about ±7.9e28 JsonSchema.Net throws instead of answering.
            return Single(pathPrefix, "holds a number too large to compare with the values the event type allows");
        }

        if (results.IsValid)
        {
            return FieldErrors.None;
        }

        var errors = new FieldErrors();
        Collect(results, detail, pathPrefix, errors);
        foreach (var node in results.Details ?? [])
        {
            Collect(node, detail, pathPrefix, errors);
        }

        if (!errors.Any)
        {
            errors.Add(pathPrefix, "does not match the shape of event type " + typeId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return errors.ToDictionary();
    }

    private static JsonSchema? Compile(EventTypeDefinition type, BuildOptions buildOptions)
    {
        if (type.DetailSchema is null)
        {
            return null;
        }

        try
        {
            return JsonSchema.FromText(type.DetailSchema, buildOptions, new Uri($"urn:eventservice:event-type:{type.Id}"));
        }
        catch (Exception e) when (e is JsonException or JsonSchemaException or ArgumentException or FormatException)
        {
            throw new ArgumentException($"Event type {type.Id}: the detail schema is not a usable JSON Schema: {e.Message}", nameof(type), e);
        }
    }

    private static void Collect(EvaluationResults node, JsonElement detail, string prefix, FieldErrors errors)
    {
        if (node.Errors is not { Count: > 0 })
        {
            return;
        }

        var path = JsonPath.FromPointer(prefix, node.InstanceLocation.ToString(), detail);
        foreach (var (keyword, message) in node.Errors)
        {
            errors.Add(path, Describe(keyword, message));
        }
    }

    private static string Describe(string keyword, string message)
    {
        switch (keyword)
        {
            case "type":
                // JsonSchema.Net says: Value is "string" but should be "integer" (or "string, integer, null").
                var marker = message.IndexOf("should be \"", StringComparison.Ordinal);
                if (marker >= 0)
                {
                    var start = marker + "should be \"".Length;
                    var end = message.IndexOf('"', start);
                    if (end > start)
                    {
                        var names = message[start..end].Split(", ");
                        return names.Length == 1
                            ? $"must be of type {names[0]}"
                            : $"must be of type {string.Join(", ", names[..^1])} or {names[^1]}";
                    }
                }

                return message;
            case "enum":
                return "must be one of the allowed values";
            case "const":
                return "must be the allowed constant value";
            default:
                return message;
        }
    }

    private static IReadOnlyDictionary<string, string[]> Single(string path, string message) =>
        new Dictionary<string, string[]>(1, StringComparer.Ordinal) { [path] = [message] };

    /// <summary>The fast check's verdict alone: true when it is certain the detail is valid, null when it has no check for the type.</summary>
    internal bool? FastVerdict(int typeId, JsonElement detail) =>
        _byId.TryGetValue(typeId, out var entry) ? entry.Shape?.IsCertainlyValid(detail) : null;

    /// <param name="Shape">The fast check for the schema's common case, null when the schema uses keywords it does not know.</param>
    private sealed record Entry(EventTypeDefinition Definition, JsonSchema? Schema, DetailShape? Shape);
}
