using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EventService.Api.Catalog;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Bench;

/// <summary>
/// The CPU split of ingest's validation on one core: parsing, the whole domain validation, and the detail's JSON
/// Schema evaluation alone, per event of the benchmark's mix.
/// </summary>
public static class ValidationCost
{
    public static int Run()
    {
        var now = DateTimeOffset.UtcNow;
        var events = EventGenerator.Generate(3, now, 1, 20_000).Select(Encoding.UTF8.GetBytes).ToArray();
        var catalog = new EventCatalog(CatalogStore.ReadBuiltInCatalog());
        var validator = new EventValidator(catalog);
        var context = new IngestContext(now, AcceptanceWindow.Default, ProducerPermissions.Unrestricted, new EventLimits());
        var documents = events.Select(e => JsonDocument.Parse(e)).ToArray();

        double Time(Action<int> work)
        {
            for (var i = 0; i < events.Length; i++)
            {
                work(i); // warm: tiered JIT promotes hot code only after a while
            }

            Thread.Sleep(200);

            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < events.Length; i++)
            {
                work(i);
            }

            return stopwatch.Elapsed.TotalMicroseconds / events.Length;
        }

        _ = Time(i => validator.Validate(documents[i].RootElement, context));
        var parse = Time(i => JsonDocument.Parse(events[i]).Dispose());
        var validate = Time(i => validator.Validate(documents[i].RootElement, context));
        var schema = Time(i =>
        {
            var root = documents[i].RootElement;
            catalog.ValidateDetail(root.GetProperty("event_type").GetProperty("id").GetInt32(), root.GetProperty("detail"));
        });
        Console.WriteLine("| per event, one core | µs | events/s on one core |");
        Console.WriteLine("|---|---|---|");
        Console.WriteLine($"| JsonDocument.Parse | {parse:F1} | {1e6 / parse:N0} |");
        Console.WriteLine($"| EventValidator.Validate (all checks) | {validate:F1} | {1e6 / validate:N0} |");
        Console.WriteLine($"| of which the detail's JSON Schema evaluation | {schema:F1} | {1e6 / schema:N0} |");
        return 0;
    }
}
