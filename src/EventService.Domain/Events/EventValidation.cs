using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EventService.Domain.Catalog;
using EventService.Domain.Json;

namespace EventService.Domain.Events;

/// <summary>
/// One event's validation run against the emnify field rules: one walk over the item that reads the typed fields, has
/// <see cref="StorableJson"/> check every string, property name, number and nesting level on the way, and collects
/// every problem as a field error instead of throwing.
/// </summary>
internal sealed class EventValidation(EventCatalog catalog, IngestContext context, FieldErrors errors)
{
    private const int MaxIpAddressLength = 64;

    private readonly FieldErrors _errors = errors;
    private readonly StorableJson _json = new(
        errors,
        context.Limits.MaxDepth,
        context.Limits.MaxStringLength,
        context.Limits.MaxCustomProperties,
        "detail and the unknown properties (at the top level and inside organisation, user, endpoint, sim, imsi, event_type, event_source and event_severity)");

    private readonly JsonElement[] _fields = new JsonElement[(int)Field.Count];
    private long? _defaultedOrganisation;
    private List<JsonProperty>? _extras;

    // The errors are a primary-constructor parameter only so that both field initializers above can share them.
    public EventValidation(EventCatalog catalog, IngestContext context)
        : this(catalog, context, new FieldErrors())
    {
    }

    private enum Field
    {
        Id,
        Timestamp,
        Alert,
        Description,
        EventType,
        EventSource,
        EventSeverity,
        Organisation,
        User,
        Endpoint,
        Sim,
        Imsi,
        Detail,
        Count,
    }

    private enum EntityKind
    {
        User,
        Endpoint,
        Sim,
        Imsi,
    }

    private enum StringRead
    {
        NotString,
        Rejected,
        Ok,
    }

    public EventValidationResult Run(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(JsonPath.Root, "an event must be a JSON object");
            return new EventValidationResult(null, null, _errors.ToDictionary());
        }

        // Measured on the posted bytes before anything is walked, so an oversized item costs nothing more.
        var size = JsonMarshal.GetRawUtf8Value(item).Length;
        if (size > context.Limits.MaxEventBytes)
        {
            _errors.Add(
                JsonPath.Root,
                $"is too large: an event may be at most {context.Limits.MaxEventBytes.ToString(CultureInfo.InvariantCulture)} bytes of JSON (UTF-8), this one is {size.ToString(CultureInfo.InvariantCulture)}");
            return new EventValidationResult(null, PeekId(item), _errors.ToDictionary());
        }

        CollectTopLevel(item);

        var id = ReadId(_fields[(int)Field.Id]);
        var timestamp = ReadTimestamp(_fields[(int)Field.Timestamp]);
        var alert = ReadAlert(_fields[(int)Field.Alert]);
        var description = ReadOptionalString(_fields[(int)Field.Description], "description", 2);
        var typeId = ReadEventType(_fields[(int)Field.EventType]);
        var severity = ReadSeverity(_fields[(int)Field.EventSeverity]);
        var source = ReadSource(_fields[(int)Field.EventSource]);
        var (organisationId, organisationName) = ReadOrganisation(_fields[(int)Field.Organisation]);
        var user = ReadEntity(_fields[(int)Field.User], EntityKind.User);
        var endpoint = ReadEntity(_fields[(int)Field.Endpoint], EntityKind.Endpoint);
        var sim = ReadEntity(_fields[(int)Field.Sim], EntityKind.Sim);
        var imsi = ReadEntity(_fields[(int)Field.Imsi], EntityKind.Imsi);
        var detail = ReadDetail(_fields[(int)Field.Detail], typeId);
        ReadExtras();

        if (_errors.Any)
        {
            return new EventValidationResult(null, id, _errors.ToDictionary());
        }

        var validated = new ValidatedEvent(
            id,
            timestamp!.Value,
            typeId!.Value,
            severity!.Value,
            source!.Value,
            alert,
            description,
            organisationId!.Value,
            organisationName,
            user.Id,
            endpoint.Id,
            sim.Id,
            imsi.Id,
            sim.Digits,
            imsi.Digits,
            endpoint.Digits,
            endpoint.IpAddress,
            CompactJson.Write(this, static (writer, validation) => validation.WriteEntities(writer)),
            detail.ValueKind == JsonValueKind.Object ? CompactJson.Compact(detail) : null,
            _extras is null ? null : CompactJson.Write(_extras, static (writer, extras) => WriteExtras(writer, extras)))
        {
            UserName = user.Name,
            EndpointName = endpoint.Name,
            Tags = endpoint.Tags,
        };
        if (detail.ValueKind == JsonValueKind.Object)
        {
            validated = WithNetworkFields(validated, detail);
        }

        return new EventValidationResult(validated, id, FieldErrors.None);
    }

    /// <summary>
    /// The filterable network facts of an operator-shaped detail (emnify's <c>q</c> fields network, country, rat):
    /// <c>name</c> is the operator when the detail also names a <c>country</c>.
    /// </summary>
    private static ValidatedEvent WithNetworkFields(ValidatedEvent validated, JsonElement detail)
    {
        string? country = null;
        string? network = null;
        short? rat = null;
        if (detail.TryGetProperty("country"u8, out var countryElement) && countryElement.ValueKind == JsonValueKind.Object)
        {
            if (countryElement.TryGetProperty("name"u8, out var countryName) && countryName.ValueKind == JsonValueKind.String)
            {
                country = countryName.GetString();
            }

            if (detail.TryGetProperty("name"u8, out var operatorName) && operatorName.ValueKind == JsonValueKind.String)
            {
                network = operatorName.GetString();
            }
        }

        if (detail.TryGetProperty("pdp_context"u8, out var pdp) && pdp.ValueKind == JsonValueKind.Object
            && pdp.TryGetProperty("rat_type"u8, out var ratElement) && ratElement.TryGetInt16(out var ratType))
        {
            rat = ratType;
        }

        return network is null && country is null && rat is null
            ? validated
            : validated with { Network = network, Country = country, RatType = rat };
    }

    private void CollectTopLevel(JsonElement item)
    {
        _json.CheckNames(item, "");
        foreach (var property in item.EnumerateObject())
        {
            if (!_json.IsUsableName(property))
            {
                continue;
            }

            var field = FieldOf(property);
            if (field == Field.Count)
            {
                (_extras ??= []).Add(property);
            }
            else if (_fields[(int)field].ValueKind == JsonValueKind.Undefined)
            {
                // Duplicate names are the parser's to refuse; should one get here, the first occurrence is read.
                _fields[(int)field] = property.Value;
            }
        }
    }

    /// <summary>Matches the name without allocating it: known names are short and plain ASCII.</summary>
    private static Field FieldOf(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        Span<char> buffer = stackalloc char[16];
        scoped ReadOnlySpan<char> name;
        if (raw.Length <= buffer.Length && raw.IndexOf((byte)'\\') < 0)
        {
            var length = Encoding.UTF8.GetChars(raw, buffer);
            name = buffer[..length];
        }
        else
        {
            name = property.Name;
        }

        return name switch
        {
            "id" => Field.Id,
            "timestamp" => Field.Timestamp,
            "alert" => Field.Alert,
            "description" => Field.Description,
            "event_type" => Field.EventType,
            "event_source" => Field.EventSource,
            "event_severity" => Field.EventSeverity,
            "organisation" => Field.Organisation,
            "user" => Field.User,
            "endpoint" => Field.Endpoint,
            "sim" => Field.Sim,
            "imsi" => Field.Imsi,
            "detail" => Field.Detail,
            _ => Field.Count,
        };
    }

    /// <summary>The producer's id of an item that is not read further, for its result and quarantine entry.</summary>
    private static long? PeekId(JsonElement item) =>
        item.TryGetProperty("id"u8, out var value) && TryReadInt64(value, out var id) && id >= 1 ? id : null;

    private long? ReadId(JsonElement value)
    {
        if (IsAbsent(value))
        {
            return null;
        }

        if (TryReadInt64(value, out var id) && id >= 1)
        {
            return id;
        }

        _errors.Add("id", "must be an integer from 1 to 9223372036854775807");
        return null;
    }

    private DateTimeOffset? ReadTimestamp(JsonElement value)
    {
        const string path = "timestamp";
        if (IsAbsent(value))
        {
            _errors.Add(path, "is required");
            return null;
        }

        switch (ReadString(value, path, out var text))
        {
            case StringRead.NotString:
                _errors.Add(path, "must be a string such as 2021-10-27T11:59:29.000Z");
                return null;
            case StringRead.Rejected:
                return null;
        }

        if (!TimestampParser.TryParse(text, out var timestamp))
        {
            _errors.Add(path, "is not a timestamp in a known format (such as 2021-10-27T11:59:29.000Z or 2021-10-06 10:42:58)");
            return null;
        }

        var window = context.Window;
        if (timestamp < window.OldestAccepted(context.Now))
        {
            _errors.Add(path, $"is older than the retention period ({DescribeSpan(window.Retention)})");
            return null;
        }

        if (timestamp > window.NewestAccepted(context.Now))
        {
            _errors.Add(path, $"is more than {window.MaxFutureSkew.ToString("c", CultureInfo.InvariantCulture)} in the future");
            return null;
        }

        return timestamp;
    }

    private bool ReadAlert(JsonElement value)
    {
        const string path = "alert";
        switch (value.ValueKind)
        {
            case JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.False:
                return false;
            case JsonValueKind.True:
                return true;
            case JsonValueKind.Number:
                var raw = JsonMarshal.GetRawUtf8Value(value);
                if (raw.SequenceEqual("1"u8))
                {
                    return true;
                }

                if (raw.SequenceEqual("0"u8))
                {
                    return false;
                }

                break;
            case JsonValueKind.String:
                switch (ReadString(value, path, out var text))
                {
                    case StringRead.Rejected:
                        return false;
                    case StringRead.Ok when text is "true" or "1":
                        return true;
                    case StringRead.Ok when text is "false" or "0":
                        return false;
                }

                break;
        }

        _errors.Add(path, "must be true or false (1, 0, \"true\", \"false\", \"1\" and \"0\" are also accepted)");
        return false;
    }

    private string? ReadOptionalString(JsonElement value, LazyPath path, int depth)
    {
        if (IsAbsent(value))
        {
            return null;
        }

        var read = ReadString(value, path, out var text);
        if (read == StringRead.NotString)
        {
            var rendered = path.ToString();
            _errors.Add(rendered, "must be a string or null");

            // Walked anyway, so a NUL or an over-deep array inside the wrong value is reported too.
            _json.Scan(value, rendered, depth);
        }

        return read == StringRead.Ok ? text : null;
    }

    private int? ReadEventType(JsonElement value)
    {
        const string key = "event_type";
        const string idPath = "event_type.id";
        if (!EnterRequiredObject(value, key, idPath))
        {
            return null;
        }

        var idElement = default(JsonElement);
        foreach (var property in value.EnumerateObject())
        {
            if (!_json.IsUsableName(property))
            {
                continue;
            }

            if (property.NameEquals("id"u8) && idElement.ValueKind == JsonValueKind.Undefined)
            {
                idElement = property.Value;
            }
            else if (property.NameEquals("description"u8))
            {
                // The producer's description is not stored: the catalog's text is canonical.
                _json.ScanProperty(key, property, 3);
            }
            else
            {
                _json.ScanCountedProperty(key, property, 3);
            }
        }

        if (IsAbsent(idElement))
        {
            _errors.Add(idPath, "is required");
            return null;
        }

        if (!TryReadInt64(idElement, out var id))
        {
            _errors.Add(idPath, "must be an integer");
            return null;
        }

        if (id is < int.MinValue or > int.MaxValue || !catalog.TryGet((int)id, out _))
        {
            _errors.Add(idPath, $"unknown event type {id.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return (int)id;
    }

    private EventSeverity? ReadSeverity(JsonElement value)
    {
        var code = ReadCoded(
            value,
            "event_severity",
            "event_severity.id",
            acceptName: false,
            "0 (Info), 1 (Warn) or 2 (Critical)",
            "severity",
            static text => CatalogNames.TryParseSeverity(text, out var s) ? (short)s : null);
        return code is null ? null : (EventSeverity)code.Value;
    }

    private EventSource? ReadSource(JsonElement value)
    {
        if (IsAbsent(value) && context.Permissions.Sources.Count == 1)
        {
            // A credential that may post one source only may leave it out.
            return context.Permissions.Sources.First();
        }

        var code = ReadCoded(
            value,
            "event_source",
            "event_source.id",
            acceptName: true,
            "0 (Network), 1 (Policy Control) or 2 (API)",
            "source",
            static text => CatalogNames.TryParseSource(text, out var s) ? (short)s : null);
        if (code is null)
        {
            return null;
        }

        var source = (EventSource)code.Value;
        if (!context.Permissions.Sources.Contains(source))
        {
            _errors.Add(
                "event_source.id",
                $"this credential may not post events from source {CatalogNames.Describe(source)} ({code.Value.ToString(CultureInfo.InvariantCulture)})");
            return null;
        }

        return source;
    }

    /// <summary>Reads <c>{id, description}</c> (or <c>name</c>): the id is authoritative, the text a fallback when it is absent.</summary>
    private short? ReadCoded(
        JsonElement value,
        string key,
        string idPath,
        bool acceptName,
        string allowed,
        string what,
        Func<string, short?> parse)
    {
        if (!EnterRequiredObject(value, key, idPath))
        {
            return null;
        }

        var idElement = default(JsonElement);
        string? text = null;
        short? fromText = null;
        foreach (var property in value.EnumerateObject())
        {
            if (!_json.IsUsableName(property))
            {
                continue;
            }

            if (property.NameEquals("id"u8) && idElement.ValueKind == JsonValueKind.Undefined)
            {
                idElement = property.Value;
                continue;
            }

            if ((property.NameEquals("description"u8) || (acceptName && property.NameEquals("name"u8)))
                && property.Value.ValueKind == JsonValueKind.String)
            {
                if (ReadString(property.Value, LazyPath.Child(key, property), out var candidate) == StringRead.Ok && fromText is null)
                {
                    text ??= candidate;
                    fromText = parse(candidate!);
                }

                continue;
            }

            _json.ScanCountedProperty(key, property, 3);
        }

        if (!IsAbsent(idElement))
        {
            if (TryReadInt64(idElement, out var id) && id is >= 0 and <= 2)
            {
                return (short)id;
            }

            _errors.Add(idPath, "must be " + allowed);
            return null;
        }

        if (fromText is not null)
        {
            return fromText;
        }

        _errors.Add(
            idPath,
            text is null
                ? $"is required (or a description naming the {what})"
                : $"is required: the description \"{Shorten(text)}\" is not a known {what}; use {allowed}");
        return null;
    }

    private (long? Id, string? Name) ReadOrganisation(JsonElement value)
    {
        const string key = "organisation";
        const string idPath = "organisation.id";
        if (IsAbsent(value) && context.Permissions.OrganisationId is { } bound)
        {
            // A credential bound to one organisation may leave it out.
            _defaultedOrganisation = bound;
            return (bound, null);
        }

        if (!EnterRequiredObject(value, key, idPath))
        {
            return (null, null);
        }

        var idElement = default(JsonElement);
        var nameElement = default(JsonElement);
        foreach (var property in value.EnumerateObject())
        {
            if (!_json.IsUsableName(property))
            {
                continue;
            }

            if (property.NameEquals("id"u8) && idElement.ValueKind == JsonValueKind.Undefined)
            {
                idElement = property.Value;
            }
            else if (property.NameEquals("name"u8) && nameElement.ValueKind == JsonValueKind.Undefined)
            {
                nameElement = property.Value;
            }
            else
            {
                _json.ScanCountedProperty(key, property, 3);
            }
        }

        var name = ReadOptionalString(nameElement, "organisation.name", 3);
        long? id = null;
        if (IsAbsent(idElement))
        {
            _errors.Add(idPath, "is required");
        }
        else if (!TryReadInt64(idElement, out var parsed))
        {
            _errors.Add(idPath, "must be a 64-bit integer");
        }
        else if (context.Permissions.OrganisationId is { } allowed && parsed != allowed)
        {
            _errors.Add(idPath, $"this credential may only post events of organisation {allowed.ToString(CultureInfo.InvariantCulture)}");
        }
        else
        {
            id = parsed;
        }

        return (id, name);
    }

    private EntityRead ReadEntity(JsonElement value, EntityKind kind)
    {
        var key = kind switch
        {
            EntityKind.User => "user",
            EntityKind.Endpoint => "endpoint",
            EntityKind.Sim => "sim",
            _ => "imsi",
        };

        if (IsAbsent(value))
        {
            return default;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(key, "must be an object or null");
            _json.Scan(value, key, 2);
            return default;
        }

        if (!_json.EnterObject(value, key, 2))
        {
            return default;
        }

        var idPath = kind switch
        {
            EntityKind.User => "user.id",
            EntityKind.Endpoint => "endpoint.id",
            EntityKind.Sim => "sim.id",
            _ => "imsi.id",
        };
        var result = default(EntityRead);
        var idElement = default(JsonElement);
        foreach (var property in value.EnumerateObject())
        {
            if (!_json.IsUsableName(property))
            {
                continue;
            }

            var path = LazyPath.Child(key, property);
            if (property.NameEquals("id"u8))
            {
                if (idElement.ValueKind == JsonValueKind.Undefined)
                {
                    idElement = property.Value;
                }
            }
            else if (kind == EntityKind.Endpoint && property.NameEquals("ip_address"u8))
            {
                var ip = ReadOptionalString(property.Value, path, 3);
                if (ip is { Length: > MaxIpAddressLength })
                {
                    _errors.Add(path.ToString(), $"must be at most {MaxIpAddressLength} characters");
                }
                else
                {
                    result.IpAddress = ip;
                }
            }
            else if (kind == EntityKind.Endpoint && property.NameEquals("imei"u8))
            {
                result.Digits = ReadDigits(property.Value, path, 17);
            }
            else if (kind == EntityKind.Sim && property.NameEquals("iccid"u8))
            {
                result.Digits = ReadDigits(property.Value, path, 22);
            }
            else if (kind == EntityKind.Imsi && property.NameEquals("imsi"u8))
            {
                result.Digits = ReadDigits(property.Value, path, 15);
            }
            else if ((kind == EntityKind.User || kind == EntityKind.Endpoint) && property.NameEquals("name"u8))
            {
                result.Name = ReadOptionalString(property.Value, path, 3);
            }
            else if (kind == EntityKind.Endpoint && property.NameEquals("tags"u8))
            {
                result.Tags = ReadOptionalString(property.Value, path, 3);
            }
            else if (kind == EntityKind.User && property.NameEquals("username"u8))
            {
                ReadOptionalString(property.Value, path, 3);
            }
            else
            {
                _json.ScanCountedProperty(key, property, 3);
            }
        }

        if (IsAbsent(idElement))
        {
            _errors.Add(idPath, "is required");
        }
        else if (TryReadInt64(idElement, out var id))
        {
            result.Id = id;
        }
        else
        {
            _errors.Add(idPath, "must be a 64-bit integer");
        }

        return result;
    }

    /// <summary>A string of digits, or a JSON integer taken by its exact digits (never through a double).</summary>
    private string? ReadDigits(JsonElement value, LazyPath path, int maxDigits)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                switch (ReadString(value, path, out var text))
                {
                    case StringRead.Rejected:
                        return null;
                    case StringRead.Ok when IsDigits(text!.AsSpan(), maxDigits):
                        return text;
                }

                break;
            case JsonValueKind.Number:
                var raw = JsonMarshal.GetRawUtf8Value(value);
                if (IsDigits(raw, maxDigits))
                {
                    return Encoding.ASCII.GetString(raw);
                }

                break;
            default:
                _json.Scan(value, path.ToString(), 3);
                break;
        }

        _errors.Add(path.ToString(), $"must be a string of 1 to {maxDigits} digits (or a JSON integer of as many digits)");
        return null;
    }

    private JsonElement ReadDetail(JsonElement value, int? typeId)
    {
        const string key = "detail";
        if (IsAbsent(value))
        {
            return default;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(key, "must be an object or null");
            _json.Scan(value, key, 2);
            return default;
        }

        var before = _errors.Version;
        _json.ScanCounted(value, key, 2);

        // The schema is evaluated only on a detail that is within the limits and safe to read as strings.
        if (typeId is { } known && _errors.Version == before)
        {
            _errors.AddAll(catalog.ValidateDetail(known, value, key));
        }

        return value;
    }

    private void ReadExtras()
    {
        if (_extras is null)
        {
            return;
        }

        foreach (var property in _extras)
        {
            _json.ScanCountedProperty("", property, 2);
        }
    }

    private void WriteEntities(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (_defaultedOrganisation is { } organisation)
        {
            writer.WriteStartObject("organisation");
            writer.WriteNumber("id", organisation);
            writer.WriteEndObject();
        }
        else
        {
            WriteEntity(writer, "organisation", _fields[(int)Field.Organisation], default);
        }

        WriteEntity(writer, "user", _fields[(int)Field.User], default);
        WriteEntity(writer, "endpoint", _fields[(int)Field.Endpoint], "imei"u8);
        WriteEntity(writer, "sim", _fields[(int)Field.Sim], "iccid"u8);
        WriteEntity(writer, "imsi", _fields[(int)Field.Imsi], "imsi"u8);
        writer.WriteEndObject();
    }

    private static void WriteEntity(Utf8JsonWriter writer, string key, JsonElement entity, ReadOnlySpan<byte> digitsProperty)
    {
        if (entity.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        writer.WriteStartObject(key);
        foreach (var property in entity.EnumerateObject())
        {
            if (!digitsProperty.IsEmpty && property.Value.ValueKind == JsonValueKind.Number && property.NameEquals(digitsProperty))
            {
                writer.WriteString(digitsProperty, JsonMarshal.GetRawUtf8Value(property.Value));
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteExtras(Utf8JsonWriter writer, List<JsonProperty> extras)
    {
        writer.WriteStartObject();
        foreach (var property in extras)
        {
            property.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private bool EnterRequiredObject(JsonElement value, string key, string idPath)
    {
        if (IsAbsent(value))
        {
            _errors.Add(idPath, "is required");
            return false;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            _errors.Add(key, "must be an object");
            _json.Scan(value, key, 2);
            return false;
        }

        return _json.EnterObject(value, key, 2);
    }

    private StringRead ReadString(JsonElement value, LazyPath path, out string? text)
    {
        text = null;
        if (value.ValueKind != JsonValueKind.String)
        {
            return StringRead.NotString;
        }

        if (!_json.CheckString(value, path))
        {
            return StringRead.Rejected;
        }

        text = value.GetString();
        return StringRead.Ok;
    }

    private static bool IsAbsent(JsonElement value) => value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null;

    /// <summary>An integer as JSON writes it: digits with an optional minus, no fraction or exponent, within int64.</summary>
    private static bool TryReadInt64(JsonElement value, out long result)
    {
        result = 0;
        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        var raw = JsonMarshal.GetRawUtf8Value(value);
        var digits = raw.Length > 0 && raw[0] == (byte)'-' ? raw[1..] : raw;
        return IsDigits(digits, 19) && value.TryGetInt64(out result);
    }

    private static bool IsDigits(ReadOnlySpan<byte> text, int maxLength)
    {
        if (text.Length == 0 || text.Length > maxLength)
        {
            return false;
        }

        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDigits(ReadOnlySpan<char> text, int maxLength)
    {
        if (text.Length == 0 || text.Length > maxLength)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string DescribeSpan(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerDay == 0
            ? span.Days == 1 ? "1 day" : $"{span.Days.ToString(CultureInfo.InvariantCulture)} days"
            : span.ToString("c", CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");

    private struct EntityRead
    {
        public long? Id;
        public string? Digits;
        public string? IpAddress;
        public string? Name;
        public string? Tags;
    }
}
