using System.Diagnostics;
using System.Globalization;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Bench;

/// <summary>
/// The purge of one day of events by the service's purger (DETACH CONCURRENTLY + DROP) next to a plain
/// DELETE ... WHERE timestamp &lt; cutoff of the same rows, each while one connection inserts one-row events into
/// today's partition. Usage: dotnet run -c Release --project bench/EventService.Bench -- purge [--quick|--smoke|--rows N]
/// EVENTSERVICE_BENCH_DB (a connection string) names a database to use (its events are dropped and reloaded);
/// otherwise a throwaway PostgreSQL cluster is started from the local binaries on 127.0.0.1 and removed after.
/// </summary>
public static class PurgeBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var (mode, rows, runs) = args.FirstOrDefault() switch
        {
            "--smoke" => ("smoke", 10_000, 1),
            "--quick" => ("quick", 200_000, 1),
            "--rows" when args.Count == 2 => ("rows", int.Parse(args[1], CultureInfo.InvariantCulture), 1),
            null => ("full", 1_000_000, 3),
            var other => throw new ArgumentException($"unknown option {other}: use --quick, --smoke or --rows N, or nothing for the full run"),
        };
        if (rows is < 1_000 or > 5_000_000)
        {
            Console.Error.WriteLine("--rows must lie between 1000 and 5000000");
            return 2;
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(10 * runs)); // the whole run is bounded
        var ct = stop.Token;
        await using var database = await BenchDatabase.OpenAsync(ct);
        var connectionString = database.ConnectionString;

        await using (var db = new EventsDbContext(new DbContextOptionsBuilder<EventsDbContext>()
            .UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options))
        {
            await db.Database.MigrateAsync(ct);
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var retention = new RetentionOptions();
        var window = new RetentionWindow(Options.Create(new RetentionPeriodOptions()), TimeProvider.System, dataSource);
        var now = TimeProvider.System.GetUtcNow();
        var cutoff = window.CutoffAt(now);
        var oldDay = DateOnly.FromDateTime(cutoff.UtcDateTime).AddDays(-2); // wholly before the cutoff
        var partitions = new EventPartitions(dataSource, window, Options.Create(new StorageOptions()), NullLogger<EventPartitions>.Instance);
        var purger = new RetentionPurger(dataSource, Options.Create(retention), window, new DatabaseClock(dataSource), TimeProvider.System, NullLogger<RetentionPurger>.Instance);
        var bench = new Bench(dataSource, partitions, oldDay, rows);

        await bench.ResetAsync(now, ct);
        Console.WriteLine(await BenchDatabase.HeaderAsync("purge", mode, now, dataSource, ct));

        var results = new List<PurgeRun>();
        for (var run = 0; run < runs; run++)
        {
            var load = await bench.LoadDayAsync(now, ct);
            var purge = await bench.MeasureAsync(async () =>
            {
                var round = await purger.PurgeAsync(ct);
                if (round.Error is not null || round.Skipped || round.PurgeBlocked is not null)
                {
                    throw new InvalidOperationException($"the purge failed: {round.Error ?? round.PurgeBlocked ?? "skipped"}");
                }
            }, ct);
            var left = await bench.CountOldAsync(cutoff, ct);

            await bench.LoadDayAsync(now, ct);
            var delete = await bench.MeasureAsync(async () =>
            {
                await using var command = dataSource.CreateCommand("""DELETE FROM events WHERE "timestamp" < @cutoff""");
                command.Parameters.AddWithValue("cutoff", cutoff);
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(ct);
            }, ct);
            var deleteLeft = await bench.CountOldAsync(cutoff, ct);
            var sizeAfterDelete = await bench.PartitionBytesAsync(ct);
            results.Add(new PurgeRun(load, purge, left, delete, deleteLeft, sizeAfterDelete));
            Console.Error.WriteLine($"  purge run {run + 1}: loaded {rows:N0} in {load.Elapsed.TotalSeconds:F1} s; purge {purge.Elapsed.TotalSeconds:F2} s, DELETE {delete.Elapsed.TotalSeconds:F2} s");
            await bench.ResetAsync(now, ct); // the DELETE's dead rows go with the partition
        }

        // The run with the median purge time stands for all (its DELETE beside it); times are medians of their own.
        var median = results.OrderBy(r => r.Purge.Elapsed).ElementAt(results.Count / 2);
        var purgeTime = results.Select(r => r.Purge.Elapsed.TotalSeconds).Order().ElementAt(results.Count / 2);
        var deleteTime = results.Select(r => r.Delete.Elapsed.TotalSeconds).Order().ElementAt(results.Count / 2);
        Console.WriteLine();
        Console.WriteLine($"Scenario 4, purge of one day: {rows:N0} events ({median.Load.Bytes / 1048576.0:F0} MB with indexes) loaded by binary COPY, " +
                          $"while one connection inserts single events (median of {runs})");
        Console.WriteLine();
        Console.WriteLine($"| one day, {rows:N0} events | service purge (DETACH CONCURRENTLY + DROP) | DELETE ... WHERE timestamp < cutoff |");
        Console.WriteLine("|---|---|---|");
        Row("time taken", $"{purgeTime:F2} s", $"{deleteTime:F2} s ({deleteTime / purgeTime:F1} ×)");
        Row("WAL generated (incl. the inserter's)", Mb(median.Purge.WalBytes), Mb(median.Delete.WalBytes));
        Row("disk space returned", Mb(median.Load.Bytes), $"{Mb(median.Load.Bytes - median.SizeAfterDelete)} (until VACUUM, and then only for reuse)");
        Row("old events left", median.Left.ToString(CultureInfo.InvariantCulture), median.DeleteLeft.ToString(CultureInfo.InvariantCulture));
        Row("concurrent inserts before: n, p99, max", median.Purge.Before.ToString(), median.Delete.Before.ToString());
        Row("concurrent inserts during: n, p99, max", median.Purge.During.ToString(), median.Delete.During.ToString());
        return 0;
    }

    private sealed record PurgeRun(LoadResult Load, Measurement Purge, long Left, Measurement Delete, long DeleteLeft, long SizeAfterDelete);

    private static void Row(string name, string purge, string delete) => Console.WriteLine($"| {name} | {purge} | {delete} |");

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MB";
}
