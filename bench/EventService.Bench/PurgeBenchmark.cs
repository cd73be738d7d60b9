using System.Diagnostics;
using System.Globalization;
using EventService.Api.Retention;
using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Bench;

/// <summary>
/// The purge of one day of events by the service's purger (DETACH CONCURRENTLY + DROP) next to a plain
/// DELETE ... WHERE timestamp &lt; cutoff of the same rows, each while one connection inserts one-row events into
/// today's partition. Usage: dotnet run -c Release --project bench/EventService.Bench -- purge [--rows N]
/// EVENTSERVICE_BENCH_DB (a connection string) names a database to use (its events are dropped and reloaded);
/// otherwise a throwaway PostgreSQL cluster is started from the local binaries on 127.0.0.1 and removed after.
/// </summary>
public static class PurgeBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var rows = args.Count == 2 && args[0] == "--rows" ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        if (rows is < 1_000 or > 5_000_000)
        {
            Console.Error.WriteLine("--rows must lie between 1000 and 5000000");
            return 2;
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(15)); // the whole run is bounded
        var ct = stop.Token;
        var fromEnvironment = Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_DB");
        await using var cluster = string.IsNullOrWhiteSpace(fromEnvironment) ? await ThrowawayCluster.StartAsync(ct) : null;
        var connectionString = cluster?.ConnectionString ?? fromEnvironment!;

        await using (var db = new EventsDbContext(new DbContextOptionsBuilder<EventsDbContext>()
            .UseNpgsql(connectionString).UseSnakeCaseNamingConvention().Options))
        {
            await db.Database.MigrateAsync(ct);
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var retention = new RetentionOptions();
        var now = TimeProvider.System.GetUtcNow();
        var cutoff = now - retention.Period;
        var oldDay = DateOnly.FromDateTime(cutoff.UtcDateTime).AddDays(-2); // wholly before the cutoff
        var partitions = new PartitionManager(dataSource, Options.Create(retention), Options.Create(new StorageOptions()), NullLogger<PartitionManager>.Instance);
        var purger = new RetentionPurger(dataSource, Options.Create(retention), TimeProvider.System, NullLogger<RetentionPurger>.Instance);
        var bench = new Bench(dataSource, partitions, oldDay, rows);

        await bench.ResetAsync(now, ct);
        var settings = await bench.SettingsAsync(ct);
        Console.WriteLine($"EventService purge benchmark, {now:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores, {settings}");

        var load = await bench.LoadDayAsync(now, ct);
        Console.WriteLine($"loaded {rows:N0} events into {PartitionManager.PartitionName(oldDay)} by binary COPY in {load.Elapsed.TotalSeconds:F1} s ({rows / load.Elapsed.TotalSeconds:N0}/s), {load.Bytes / 1048576.0:F0} MB with indexes");
        var purge = await bench.MeasureAsync(async () =>
        {
            var run = await purger.PurgeAsync(ct);
            if (run.Error is not null || run.Skipped)
            {
                throw new InvalidOperationException($"the purge failed: {run.Error ?? "skipped"}");
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

        Console.WriteLine();
        Console.WriteLine($"| one day, {rows:N0} events | service purge (DETACH CONCURRENTLY + DROP) | DELETE ... WHERE timestamp < cutoff |");
        Console.WriteLine("|---|---|---|");
        Row("time taken", $"{purge.Elapsed.TotalSeconds:F2} s", $"{delete.Elapsed.TotalSeconds:F2} s");
        Row("WAL generated (incl. the inserter's)", Mb(purge.WalBytes), Mb(delete.WalBytes));
        Row("disk space returned", Mb(load.Bytes), $"{Mb(load.Bytes - sizeAfterDelete)} (until VACUUM, and then only for reuse)");
        Row("old events left", left.ToString(CultureInfo.InvariantCulture), deleteLeft.ToString(CultureInfo.InvariantCulture));
        Row("concurrent inserts before: n, p99, max", purge.Before.ToString(), delete.Before.ToString());
        Row("concurrent inserts during: n, p99, max", purge.During.ToString(), delete.During.ToString());
        return 0;
    }

    private static void Row(string name, string purge, string delete) => Console.WriteLine($"| {name} | {purge} | {delete} |");

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MB";
}
