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

        // Per event: wall time, the process's CPU time (steadier than wall time on a shared machine: time spent
        // descheduled is not counted, the GC's work is), and bytes allocated (garbage the GC pays for later).
        using var process = Process.GetCurrentProcess();
        (double Micros, double CpuMicros, double Bytes) Time(Action<int> work)
        {
            // Warm twice: tiered JIT counts calls only after a quiet spell, then compiles the hot code in the background.
            for (var round = 0; round < 2; round++)
            {
                for (var i = 0; i < events.Length; i++)
                {
                    work(i);
                }

                Thread.Sleep(200);
            }

            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = Stopwatch.StartNew();
            for (var i = 0; i < events.Length; i++)
            {
                work(i);
            }

            var wall = stopwatch.Elapsed;
            process.Refresh();
            return (wall.TotalMicroseconds / events.Length,
                (process.TotalProcessorTime - cpu).TotalMicroseconds / events.Length,
                (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / events.Length);
        }

        _ = Time(i => validator.Validate(documents[i].RootElement, context));
        var parse = Time(i => JsonDocument.Parse(events[i]).Dispose());
        var validate = Time(i => validator.Validate(documents[i].RootElement, context));
        var schema = Time(i =>
        {
            var root = documents[i].RootElement;
            catalog.ValidateDetail(root.GetProperty("event_type").GetProperty("id").GetInt32(), root.GetProperty("detail"));
        });
        Console.WriteLine("| per event, one core | µs | events/s on one core | CPU µs | bytes allocated |");
        Console.WriteLine("|---|---|---|---|---|");
        Row("JsonDocument.Parse", parse);
        Row("EventValidator.Validate (all checks)", validate);
        Row("of which the detail's JSON Schema evaluation", schema);
        return 0;
    }

    private static void Row(string what, (double Micros, double CpuMicros, double Bytes) cost) =>
        Console.WriteLine($"| {what} | {cost.Micros:F1} | {1e6 / cost.Micros:N0} | {cost.CpuMicros:F1} | {cost.Bytes:N0} |");
}
