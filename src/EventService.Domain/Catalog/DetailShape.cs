using System.Collections.Frozen;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace EventService.Domain.Catalog;

/// <summary>
/// A detail schema compiled into a plain check for the few JSON Schema keywords the catalog uses: <c>type</c>,
/// <c>properties</c>, <c>items</c> (one schema), <c>enum</c> of scalars, and annotations. It can only say "certainly
/// valid"; anything else (an invalid detail, or a value it is unsure of) goes to JsonSchema.Net, which stays the
/// authority and writes every error. A schema with any other keyword is not compiled at all, and always goes there.
/// </summary>
/// <remarks>
/// Sound by construction where it answers: a number is an integer exactly when <see cref="JsonElement.TryGetInt64"/>
/// succeeds (JsonSchema.Net's own rule), an enum matches only on identical raw JSON text, and every occurrence of a
/// property name is checked. The differential test in the domain tests holds it to the library's verdicts.
/// </remarks>
internal sealed class DetailShape
{
    private const int MaxStackName = 64;

    // Annotations change no verdict. "$schema", "$id" and every other keyword are left to the library.
    private static readonly FrozenSet<string> Annotations = FrozenSet.Create(
        StringComparer.Ordinal, "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly");

    private static readonly DetailShape Anything = new(AnyType, properties: null, items: null, enumValues: null);

    private static readonly DetailShape Nothing = new(0, properties: null, items: null, enumValues: null);

    private readonly ValueTypes _types;
    private readonly FrozenDictionary<string, DetailShape>.AlternateLookup<ReadOnlySpan<char>> _properties;
    private readonly bool _hasProperties;
    private readonly DetailShape? _items;
    private readonly byte[][]? _enum;

    private DetailShape(ValueTypes types, FrozenDictionary<string, DetailShape>? properties, DetailShape? items, byte[][]? enumValues)
    {
        _types = types;
        _hasProperties = properties is { Count: > 0 };
        if (_hasProperties)
        {
            _properties = properties!.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        _items = items;
        _enum = enumValues;
    }

    [Flags]
    private enum ValueTypes
    {
        Null = 1,
        Boolean = 2,
        Object = 4,
        Array = 8,
        String = 16,
        Integer = 32,
        Number = 64,
    }

    private const ValueTypes AnyType = ValueTypes.Null | ValueTypes.Boolean | ValueTypes.Object | ValueTypes.Array
        | ValueTypes.String | ValueTypes.Integer | ValueTypes.Number;

    /// <summary>The check for a schema, or null when the schema uses a keyword or form this check does not know.</summary>
    public static DetailShape? TryCompile(string schemaJson)
    {
        ArgumentNullException.ThrowIfNull(schemaJson);
        try
        {
            using var document = JsonDocument.Parse(schemaJson);
            return TryCompile(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>True only when JsonSchema.Net would find <paramref name="instance"/> valid; false means "ask it".</summary>
    public bool IsCertainlyValid(JsonElement instance)
    {
        var kind = instance.ValueKind;
        if ((_types & TypeOf(instance, kind)) == 0)
        {
            return false;
        }

        if (_enum is not null && !MatchesEnum(instance, kind))
        {
            return false;
        }

        if (kind == JsonValueKind.Object && _hasProperties)
        {
            return PropertiesAreValid(instance);
        }

        if (kind == JsonValueKind.Array && _items is not null)
        {
            foreach (var element in instance.EnumerateArray())
            {
                if (!_items.IsCertainlyValid(element))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private bool PropertiesAreValid(JsonElement instance)
    {
        Span<char> buffer = stackalloc char[MaxStackName];
        foreach (var property in instance.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(property);

            // An escaped name (or a long one) is rare: leave it to the library rather than unescape it here.
            if (raw.Length > MaxStackName || raw.IndexOf((byte)'\\') >= 0)
            {
                return false;
            }

            var length = Encoding.UTF8.GetChars(raw, buffer);
            if (_properties.TryGetValue(buffer[..length], out var shape) && !shape.IsCertainlyValid(property.Value))
            {
                return false;
            }
        }

        return true;
    }

    private bool MatchesEnum(JsonElement instance, JsonValueKind kind)
    {
        if (kind is JsonValueKind.Object or JsonValueKind.Array)
        {
            return false;
        }

        // Identical raw text is the same value; an escape could hide an unpaired surrogate, on which the library fails.
        var raw = JsonMarshal.GetRawUtf8Value(instance);
        if (kind == JsonValueKind.String && raw.IndexOf((byte)'\\') >= 0)
        {
            return false;
        }

        foreach (var value in _enum!)
        {
            if (raw.SequenceEqual(value))
            {
                return true;
            }
        }

        return false;
    }

    private static ValueTypes TypeOf(JsonElement instance, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Null => ValueTypes.Null,
        JsonValueKind.True or JsonValueKind.False => ValueTypes.Boolean,
        JsonValueKind.Object => ValueTypes.Object,
        JsonValueKind.Array => ValueTypes.Array,
        JsonValueKind.String => ValueTypes.String,

        // "number" admits integers too; "integer" is what JsonSchema.Net calls one: a value that fits an Int64.
        JsonValueKind.Number => instance.TryGetInt64(out _) ? ValueTypes.Integer | ValueTypes.Number : ValueTypes.Number,
        _ => 0,
    };

    private static DetailShape? TryCompile(JsonElement schema)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return Anything;
            case JsonValueKind.False:
                return Nothing;
            case JsonValueKind.Object:
                break;
            default:
                return null;
        }

        ValueTypes? types = null;
        FrozenDictionary<string, DetailShape>? properties = null;
        DetailShape? items = null;
        byte[][]? enumValues = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var keyword in schema.EnumerateObject())
        {
            var value = keyword.Value;
            var understood = seen.Add(keyword.Name) && keyword.Name switch
            {
                "type" => (types = TryReadTypes(value)) is not null,
                "properties" => (properties = TryCompileProperties(value)) is not null,

                // The array form (tuples before draft 2020-12) is left to the library.
                "items" => value.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
                    && (items = TryCompile(value)) is not null,
                "enum" => (enumValues = TryReadEnum(value)) is not null,
                var name => Annotations.Contains(name),
            };

            // A repeated keyword, one it does not know, or a value it cannot read: the library's alone.
            if (!understood)
            {
                return null;
            }
        }

        return new DetailShape(types ?? AnyType, properties, items, enumValues);
    }

    private static ValueTypes? TryReadTypes(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return TypeNamed(value.GetString());
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        ValueTypes types = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || TypeNamed(item.GetString()) is not { } type)
            {
                return null;
            }

            types |= type;
        }

        return types;
    }

    private static ValueTypes? TypeNamed(string? name) => name switch
    {
        "null" => ValueTypes.Null,
        "boolean" => ValueTypes.Boolean,
        "object" => ValueTypes.Object,
        "array" => ValueTypes.Array,
        "string" => ValueTypes.String,
        "integer" => ValueTypes.Integer,
        "number" => ValueTypes.Number,
        _ => null,
    };

    private static FrozenDictionary<string, DetailShape>? TryCompileProperties(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var properties = new Dictionary<string, DetailShape>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (TryCompile(property.Value) is not { } shape || !properties.TryAdd(property.Name, shape))
            {
                return null;
            }
        }

        return properties.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[][]? TryReadEnum(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        // JsonSchema.Net compares numbers as decimals (and throws beyond their range) and strings as .NET strings (and
        // throws on an unpaired surrogate): only values it compares without failing are matched here.
        var values = new List<byte[]>();
        foreach (var item in value.EnumerateArray())
        {
            var raw = JsonMarshal.GetRawUtf8Value(item);
            var plain = item.ValueKind switch
            {
                JsonValueKind.Number => item.TryGetDecimal(out _),
                JsonValueKind.String => raw.IndexOf((byte)'\\') < 0,
                JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => true,
                _ => false,
            };
            if (!plain)
            {
                return null;
            }

            values.Add(raw.ToArray());
        }

        return [.. values];
    }
}
