using System.Globalization;
using Npgsql;

namespace EventService.Bench;

/// <summary>
/// The PostgreSQL a scenario runs on: the database EVENTSERVICE_BENCH_DB names (its events are replaced), else a
/// throwaway cluster from the local binaries on 127.0.0.1, removed on dispose.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly ThrowawayCluster? cluster;

    private BenchDatabase(string connectionString, ThrowawayCluster? cluster)
    {
        ConnectionString = connectionString;
        this.cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>The throwaway cluster's data directory when it was started with auto_explain; else null.</summary>
    public string? PlanLogDirectory => cluster is { AutoExplain: true } ? cluster.DataDir : null;

    /// <param name="autoExplain">Start the throwaway cluster with auto_explain preloaded (idle) and a jsonlog (see <see cref="PlanLog"/>).</param>
    public static async Task<BenchDatabase> OpenAsync(CancellationToken ct, bool autoExplain = false)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_DB");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new BenchDatabase(fromEnvironment, null);
        }

        var cluster = await ThrowawayCluster.StartAsync(ct, autoExplain);
        return new BenchDatabase(cluster.ConnectionString, cluster);
    }

    /// <summary>A scenario's header line: what ran, when, on how many cores at what load, and PostgreSQL's settings.</summary>
    public static async Task<string> HeaderAsync(string scenario, string mode, DateTimeOffset now, NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT 'PostgreSQL ' || current_setting('server_version') || ': ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
            FROM pg_settings
            WHERE name IN ('shared_buffers', 'max_wal_size', 'synchronous_commit', 'fsync', 'full_page_writes', 'wal_level',
                           'autovacuum', 'max_connections', 'work_mem', 'commit_delay')
            """);
        var settings = (string)(await command.ExecuteScalarAsync(ct))!;
        return string.Create(CultureInfo.InvariantCulture,
            $"EventService {scenario} benchmark ({mode}), {now:yyyy-MM-dd HH:mm}Z, {Environment.ProcessorCount} cores, " +
            $"load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {settings}");
    }

    public async ValueTask DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}
