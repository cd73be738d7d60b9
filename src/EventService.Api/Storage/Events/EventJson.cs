using System.Buffers;
using System.Text;
using System.Text.Json;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Api.Storage.Events;

/// <summary>
/// Writes events in emnify's shape: canonical descriptions for type, severity and source from the
/// catalog, the timestamp as ISO 8601 UTC, the entity snapshots, detail and extra properties as they came.
/// </summary>
public static class EventJson
{
    private static readonly JsonEncodedText[] EntityNames =
        [.. new[] { "organisation", "user", "endpoint", "sim", "imsi" }.Select(n => JsonEncodedText.Encode(n))];

    public static void Write(Utf8JsonWriter writer, EventView e, EventCatalog catalog)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", e.Id);
        writer.WriteString("timestamp", TimestampParser.Format(e.Timestamp));
        writer.WriteBoolean("alert", e.Alert);
        if (e.Description is null)
        {
            writer.WriteNull("description");
        }
        else
        {
            writer.WriteString("description", e.Description);
        }

        writer.WriteStartObject("event_type");
        writer.WriteNumber("id", e.EventTypeId);
        writer.WriteString("description", catalog.TryGet(e.EventTypeId, out var type) ? type.Description : "Unknown");
        writer.WriteEndObject();

        writer.WriteStartObject("event_source");
        writer.WriteNumber("id", e.Source);
        writer.WriteString("description", Enum.IsDefined((EventSource)e.Source) ? CatalogNames.Describe((EventSource)e.Source) : "Unknown");
        writer.WriteEndObject();

        writer.WriteStartObject("event_severity");
        writer.WriteNumber("id", e.Severity);
        writer.WriteString("description", Enum.IsDefined((EventSeverity)e.Severity) ? CatalogNames.Describe((EventSeverity)e.Severity) : "Unknown");
        writer.WriteEndObject();

        WriteEntities(writer, e.Entities);
        writer.WritePropertyName("detail");
        if (e.Detail is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            WriteStored(writer, e.Detail);
        }

        if (e.Extra is not null)
        {
            using var extra = JsonDocument.Parse(e.Extra);
            foreach (var property in extra.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// The five entity snapshots in emnify's order, null where the event has none, each copied from the stored object
    /// as it is: one pass of a reader over its UTF-8 to find where each value starts and ends, no document built.
    /// </summary>
    private static void WriteEntities(Utf8JsonWriter writer, string entities)
    {
        var rented = RentCompact(entities, out var length);
        try
        {
            var utf8 = rented.AsSpan(0, length);
            Span<Range> found = stackalloc Range[EntityNames.Length]; // default (0..0): no such entity
            var reader = new Utf8JsonReader(utf8);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var index = EntityNames.Length - 1;
                while (index >= 0 && !reader.ValueTextEquals(EntityNames[index].EncodedUtf8Bytes))
                {
                    index--;
                }

                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                if (index >= 0)
                {
                    found[index] = start..(int)reader.BytesConsumed;
                }
            }

            for (var i = 0; i < EntityNames.Length; i++)
            {
                writer.WritePropertyName(EntityNames[i]);
                if (found[i].Equals(default(Range)))
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteRawValue(utf8[found[i]], skipInputValidation: true);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Stored JSON (valid: jsonb's output) copied compact, not parsed again.</summary>
    private static void WriteStored(Utf8JsonWriter writer, string json)
    {
        var rented = RentCompact(json, out var length);
        try
        {
            writer.WriteRawValue(rented.AsSpan(0, length), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The stored JSON's UTF-8, compacted, in a pooled array the caller returns.</summary>
    private static byte[] RentCompact(string json, out int length)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        length = Compact(rented.AsSpan(0, Encoding.UTF8.GetBytes(json, rented))).Length;
        return rented;
    }

    /// <summary>
    /// Removes, in place, the whitespace between the tokens of valid JSON (jsonb prints <c>{"a": 1, "b": 2}</c>), so
    /// that answers stay as compact as they were posted; whitespace inside strings is kept.
    /// </summary>
    internal static Span<byte> Compact(Span<byte> json)
    {
        var kept = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                inString = escaped || b != (byte)'"';
                escaped = !escaped && b == (byte)'\\';
            }
            else if (b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                continue;
            }
            else
            {
                inString = b == (byte)'"';
            }

            json[kept++] = b;
        }

        return json[..kept];
    }

    public static byte[] Serialize(EventView e, EventCatalog catalog)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, e, catalog);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
