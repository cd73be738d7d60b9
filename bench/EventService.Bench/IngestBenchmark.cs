using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace EventService.Bench;

/// <summary>Events per second and latency percentiles of one load.</summary>
public sealed record LoadFigures(double PerSecond, double P50Ms, double P99Ms, long Count, long Errors)
{
    /// <summary>The service's CPU time per event, in microseconds (0 for the references).</summary>
    public double CpuMicros { get; init; }

    public static LoadFigures Of(List<double> latenciesMs, double perSecond, long errors)
    {
        latenciesMs.Sort();
        double At(double q) => latenciesMs.Count == 0 ? 0 : latenciesMs[Math.Clamp((int)Math.Ceiling(latenciesMs.Count * q) - 1, 0, latenciesMs.Count - 1)];
        return new LoadFigures(perSecond, At(0.50), At(0.99), latenciesMs.Count, errors);
    }
}

public sealed record IngestSettings(string Mode, int BulkEvents, TimeSpan SingleDuration, int Runs, int[] Concurrency)
{
    public static IngestSettings Parse(IReadOnlyList<string> args) => args.FirstOrDefault() switch
    {
        "--smoke" => new("smoke", 4_000, TimeSpan.FromSeconds(2), 1, [16, 64]),
        "--quick" => new("quick", 100_000, TimeSpan.FromSeconds(6), 1, [16, 64]),
        null => new("full", 500_000, TimeSpan.FromSeconds(10), 3, [16, 64]),
        var other => throw new ArgumentException($"unknown option {other}: use --quick or --smoke, or nothing for the full run"),
    };
}

/// <summary>
/// Scenarios 1, 2 and 5 of the performance issue: bulk and single-event ingest through the service next to binary
/// COPY, EF Core and pgbench on the same database in the same run, and the service's peak RSS.
/// </summary>
public static class IngestBenchmark
{
    private const int BulkArray = 1000;
    private const int BulkClients = 4;

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = IngestSettings.Parse(args);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(settings.Mode == "full" ? 40 : 15)); // the whole run is bounded
        var ct = stop.Token;
        await using var database = await BenchDatabase.OpenAsync(ct);
        var connectionString = database.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await using var service = await ServiceProcess.StartAsync(connectionString, ct); // applies the migrations
        var token = await service.CreateProducerAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var bulkJson = EventGenerator.Generate(1, now, 1_000_000_000, settings.BulkEvents);
        var bulkBodies = Enumerable.Range(0, (bulkJson.Length + BulkArray - 1) / BulkArray)
            .Select(c => EventGenerator.Array(bulkJson.AsSpan(c * BulkArray, Math.Min(BulkArray, bulkJson.Length - c * BulkArray))))
            .ToArray();
        var bulkRows = EventGenerator.Validate(bulkJson, now);
        var references = new References(dataSource, connectionString);

        Console.WriteLine(await BenchDatabase.HeaderAsync("ingest", settings.Mode, now, dataSource, ct));
        Console.WriteLine($"events: {bulkRows.Length:N0}, detail {EventGenerator.AverageDetailBytes(bulkRows):F0} bytes and posted JSON " +
                          $"{bulkJson.Average(j => j.Length):F0} bytes on average; service settings: {Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_SET") ?? "defaults"}");

        using var http = Http(service.Address, token, BulkClients);
        // JIT, connection pools and caches warm before anything is measured. Tiered compilation recompiles hot methods
        // only after some thousands of calls and in the background: a short warm-up measures the JIT (a profile of
        // a quick run found its thread at a third of the service's CPU), which a long-running service has behind it.
        var warmArrays = settings.Mode == "smoke" ? 4 : 40;
        var warmJson = EventGenerator.Generate(2, now, 3_000_000_000, warmArrays * BulkArray);
        await PostBulkAsync(http, Enumerable.Range(0, warmArrays).Select(c => EventGenerator.Array(warmJson.AsSpan(c * BulkArray, BulkArray))).ToArray(), ct);
        using (var warm = Http(service.Address, token, 16))
        {
            await PostSinglesAsync(warm, 16, settings.Mode == "smoke" ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(8), now, 3_100_000_000, ct);
        }

        // Scenario 1
        var service1 = new List<double>();
        var copy = new List<double>();
        var ef = new List<double>();
        var rss1 = 0L;
        var cpu1 = new List<double>();
        for (var run = 0; run < settings.Runs; run++)
        {
            await TruncateAsync(dataSource, ct);
            service.ResetPeak();
            var cpuBefore = service.CpuTime();
            service1.Add(bulkRows.Length / (await PostBulkAsync(http, bulkBodies, ct)).TotalSeconds);
            cpu1.Add((service.CpuTime() - cpuBefore).TotalMicroseconds / bulkRows.Length);
            rss1 = Math.Max(rss1, service.PeakRss());
            await ExpectCountAsync(dataSource, bulkRows.Length, ct);
            await TruncateAsync(dataSource, ct);
            copy.Add(bulkRows.Length / (await references.CopyAsync(bulkRows, BulkArray, BulkClients, ct)).TotalSeconds);
            await ExpectCountAsync(dataSource, bulkRows.Length, ct);
            await TruncateAsync(dataSource, ct);
            ef.Add(bulkRows.Length / (await references.EfCoreAsync(bulkRows, BulkArray, BulkClients, ct)).TotalSeconds);
            await ExpectCountAsync(dataSource, bulkRows.Length, ct);
            Console.Error.WriteLine($"  bulk run {run + 1}: service {service1[^1]:N0}/s, COPY {copy[^1]:N0}/s, EF Core {ef[^1]:N0}/s");
        }

        Console.WriteLine();
        Console.WriteLine($"Scenario 1, bulk ingest: {bulkRows.Length:N0} events in arrays of {BulkArray} by {BulkClients} concurrent clients (median of {settings.Runs})");
        Console.WriteLine();
        Console.WriteLine("| path | events/s | ÷ COPY | service CPU µs/event |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| service: POST /api/v1/event, validated, 200 after commit | {Median(service1):N0} | {Median(service1) / Median(copy):F2} | {Median(cpu1):F0} |");
        Console.WriteLine($"| binary COPY (Npgsql importer), {BulkArray}-row COPYs, {BulkClients} writers | {Median(copy):N0} | 1.00 | |");
        Console.WriteLine($"| EF Core AddRange + SaveChanges, {BulkArray}-row batches, {BulkClients} writers | {Median(ef):N0} | {Median(ef) / Median(copy):F2} | |");

        // Scenario 2: wrk when installed (a C client, like pgbench), else the .NET client (which takes more of the shared cores).
        var useWrk = Wrk.Available() && Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_CLIENT") != "dotnet";
        var sample = bulkRows[0];
        var rss2 = 0L;
        var rows = new List<string>();
        foreach (var clients in settings.Concurrency)
        {
            var mine = new List<LoadFigures>();
            var theirs = new List<LoadFigures>();
            using var single = Http(service.Address, token, clients);
            for (var run = 0; run < settings.Runs; run++)
            {
                await TruncateAsync(dataSource, ct);
                service.ResetPeak();
                var cpuBefore = service.CpuTime();
                var firstId = 2_000_000_000L + run * 1_000_000_000L + clients * 10_000_000L;
                var figures = useWrk
                    ? await Wrk.PostSinglesAsync(service.Address, token, clients, settings.SingleDuration, now, firstId, ct)
                    : await PostSinglesAsync(single, clients, settings.SingleDuration, now, firstId, ct);
                mine.Add(figures with { CpuMicros = (service.CpuTime() - cpuBefore).TotalMicroseconds / Math.Max(1, figures.Count) });
                rss2 = Math.Max(rss2, service.PeakRss());
                await ExpectCountAsync(dataSource, figures.Count, ct, atLeast: true); // every 201 is durable
                await TruncateAsync(dataSource, ct);
                theirs.Add(await references.PgbenchAsync(sample, clients, settings.SingleDuration, ct));
                Console.Error.WriteLine($"  single run {run + 1}, {clients} connections: service {mine[^1].PerSecond:N0}/s ({mine[^1].Errors} errors), pgbench {theirs[^1].PerSecond:N0}/s");
            }

            var m = MedianOf(mine);
            var t = MedianOf(theirs);
            rows.Add($"| {clients} | service: one event per POST, 201 after commit | {m.PerSecond:N0} | {m.P50Ms:F1} | {m.P99Ms:F1} | {m.PerSecond / t.PerSecond:F2} | {m.CpuMicros:F0} |");
            rows.Add($"| {clients} | pgbench: one-row INSERT transactions | {t.PerSecond:N0} | {t.P50Ms:F1} | {t.P99Ms:F1} | 1.00 | |");
        }

        Console.WriteLine();
        Console.WriteLine($"Scenario 2, single-event ingest: {settings.SingleDuration.TotalSeconds:F0} s per load, load client {(useWrk ? "wrk -t2 with a Lua body script" : ".NET HttpClient")} (median of {settings.Runs})");
        Console.WriteLine();
        Console.WriteLine("| connections | path | events/s | p50 ms | p99 ms | ÷ pgbench | service CPU µs/event |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);

        Console.WriteLine();
        Console.WriteLine("Scenario 5, service memory (peak RSS, VmHWM)");
        Console.WriteLine();
        Console.WriteLine("| during | peak RSS |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| scenario 1 (bulk) | {rss1 / 1048576.0:N0} MB |");
        Console.WriteLine($"| scenario 2 (single events) | {rss2 / 1048576.0:N0} MB |");
        return 0;
    }

    private static HttpClient Http(Uri address, string token, int connections)
    {
        var http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<TimeSpan> PostBulkAsync(HttpClient http, byte[][] bodies, CancellationToken ct)
    {
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, BulkClients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Length)
            {
                using var response = await http.PostAsync("/api/v1/event", Json(bodies[i]), ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"bulk POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
                }
            }
        }, ct)));
        return stopwatch.Elapsed;
    }

    private static async Task<LoadFigures> PostSinglesAsync(HttpClient http, int clients, TimeSpan duration, DateTimeOffset now, long firstId, CancellationToken ct)
    {
        var next = firstId;
        var errors = 0L;
        var latencies = new List<double>[clients];
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(worker => Task.Run(async () =>
        {
            var generator = new EventGenerator(1000 + worker, now);
            var mine = latencies[worker] = new List<double>(100_000);
            while (stopwatch.Elapsed < duration)
            {
                var body = Encoding.UTF8.GetBytes(generator.Next(Interlocked.Increment(ref next)));
                var started = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync("/api/v1/event", Json(body), ct);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                else
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }, ct)));
        var elapsed = stopwatch.Elapsed;
        var all = latencies.SelectMany(l => l).ToList();
        return LoadFigures.Of(all, all.Count / elapsed.TotalSeconds, errors);
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static LoadFigures MedianOf(List<LoadFigures> runs) => runs.OrderBy(r => r.PerSecond).ElementAt(runs.Count / 2);

    private static async Task TruncateAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("TRUNCATE events; CHECKPOINT");
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task ExpectCountAsync(NpgsqlDataSource dataSource, long expected, CancellationToken ct, bool atLeast = false)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM events");
        var count = (long)(await command.ExecuteScalarAsync(ct))!;
        if (atLeast ? count < expected : count != expected)
        {
            throw new InvalidOperationException($"expected {(atLeast ? "at least " : "")}{expected} events stored, found {count}");
        }
    }
}
