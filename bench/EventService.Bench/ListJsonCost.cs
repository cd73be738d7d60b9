using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using EventService.Api.Catalog;
using EventService.Api.Storage.Events;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Bench;

/// <summary>
/// The CPU a list spends writing its events' JSON, per page of 100, on one core: the service's writer (stored JSON
/// copied compact) next to the one before it (each stored value parsed into a document and written again).
/// Usage: dotnet run -c Release --project bench/EventService.Bench -- list-json
/// </summary>
public static class ListJsonCost
{
    public static int Run()
    {
        var now = DateTimeOffset.UtcNow;
        var catalog = new EventCatalog(CatalogStore.ReadBuiltInCatalog());
        // As PostgreSQL returns jsonb: a space after every colon and comma between tokens.
        var views = EventGenerator.Validate(EventGenerator.Generate(5, now, 1, 10_000), now)
            .Select((e, i) => EventTable.View(e, i) is var v ? v with { Entities = Spaced(v.Entities), Detail = v.Detail is null ? null : Spaced(v.Detail) } : null!)
            .ToArray();
        var buffer = new ArrayBufferWriter<byte>(1 << 20);
        using var process = Process.GetCurrentProcess();

        (double CpuMicros, double Bytes) Page(Action<Utf8JsonWriter, EventView> write)
        {
            var pages = views.Length / 100;
            for (var round = 0; round < 3; round++)
            {
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                for (var p = 0; p < pages; p++)
                {
                    buffer.ResetWrittenCount();
                    using var writer = new Utf8JsonWriter(buffer);
                    writer.WriteStartArray();
                    for (var i = p * 100; i < (p + 1) * 100; i++)
                    {
                        write(writer, views[i]);
                    }

                    writer.WriteEndArray();
                }

                process.Refresh();
                if (round == 2)
                {
                    return ((process.TotalProcessorTime - cpu).TotalMicroseconds / pages, (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / pages);
                }

                Thread.Sleep(200); // tiered JIT compiles the hot code after a quiet spell
            }

            throw new UnreachableException();
        }

        var before = Page((w, e) => ParsedWriter.Write(w, e, catalog));
        var after = Page((w, e) => EventJson.Write(w, e, catalog));
        Console.WriteLine("| writing a page of 100 events' JSON, one core | CPU µs | bytes allocated |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| each stored value parsed and written again (before) | {before.CpuMicros:F0} | {before.Bytes:N0} |");
        Console.WriteLine($"| stored JSON copied compact (the service) | {after.CpuMicros:F0} | {after.Bytes:N0} |");
        Console.WriteLine($"after ÷ before, CPU: {after.CpuMicros / before.CpuMicros:F2}");
        return 0;
    }

    private static string Spaced(string json)
    {
        return System.Text.Json.Nodes.JsonNode.Parse(json)!.ToJsonString().Replace("\":", "\": ").Replace(",\"", ", \"");
    }
}

/// <summary>The list's JSON writer before stored values were copied: each parsed into a document and written again.</summary>
internal static class ParsedWriter
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
        writer.WriteString("description", CatalogNames.Describe((EventSource)e.Source));
        writer.WriteEndObject();
        writer.WriteStartObject("event_severity");
        writer.WriteNumber("id", e.Severity);
        writer.WriteString("description", CatalogNames.Describe((EventSeverity)e.Severity));
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
            using var detail = JsonDocument.Parse(e.Detail);
            detail.RootElement.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}
