using System.Buffers;
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
    private static readonly string[] EntityNames = ["organisation", "user", "endpoint", "sim", "imsi"];

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

        using (var entities = JsonDocument.Parse(e.Entities))
        {
            foreach (var name in EntityNames)
            {
                writer.WritePropertyName(name);
                if (entities.RootElement.TryGetProperty(name, out var entity))
                {
                    entity.WriteTo(writer);
                }
                else
                {
                    writer.WriteNullValue();
                }
            }
        }

        writer.WritePropertyName("detail");
        if (e.Detail is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            // Re-written rather than copied raw: PostgreSQL prints jsonb with spaces.
            using var detail = JsonDocument.Parse(e.Detail);
            detail.RootElement.WriteTo(writer);
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
