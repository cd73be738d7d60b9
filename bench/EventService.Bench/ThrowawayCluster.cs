using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EventService.Bench;

/// <summary>
/// A private PostgreSQL cluster from the local server binaries (15 or later) in a temporary directory, listening on
/// 127.0.0.1 only, run as the postgres user when this process is root; stopped and removed on dispose. PostgreSQL's
/// default settings are kept (durable commits, full-page writes), as a production server would have them, except
/// max_connections = 200 (the ingest benchmark's 64 pgbench clients next to the service's idle pool). With
/// <c>autoExplain</c> the cluster also preloads auto_explain (off until <see cref="PlanLog"/> turns it on) and writes a
/// jsonlog file beside its text log, which <see cref="PlanLog"/> reads.
/// </summary>
public sealed class ThrowawayCluster : IAsyncDisposable
{
    private readonly string root;
    private readonly string bin;
    private readonly bool asPostgres;

    private ThrowawayCluster(string root, string bin, bool asPostgres, string connectionString, bool autoExplain)
    {
        this.root = root;
        this.bin = bin;
        this.asPostgres = asPostgres;
        ConnectionString = connectionString;
        AutoExplain = autoExplain;
    }

    /// <summary>Whether auto_explain is preloaded and plans can be read from the jsonlog.</summary>
    public bool AutoExplain { get; }

    public string ConnectionString { get; }

    /// <summary>The cluster's data directory (where pg_current_logfile's relative paths start).</summary>
    public string DataDir => Path.Combine(root, "data");

    public static async Task<ThrowawayCluster> StartAsync(CancellationToken ct, bool autoExplain = false)
    {
        var bin = (Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [])
            .Select(dir => (Bin: Path.Combine(dir, "bin"), Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : 0))
            .Where(x => x.Version >= 15 && File.Exists(Path.Combine(x.Bin, "initdb")))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault()
            ?? throw new InvalidOperationException("No PostgreSQL 15+ server binaries under /usr/lib/postgresql: install postgresql, or set EVENTSERVICE_BENCH_DB.");
        var asPostgres = Environment.UserName == "root";
        var root = Directory.CreateTempSubdirectory("eventservice-bench-").FullName;
        var port = FreePort();
        if (asPostgres)
        {
            await RunAsync("chown", ["-R", "postgres:", root], false, root, ct);
        }

        var cluster = new ThrowawayCluster(root, bin, asPostgres, new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", CommandTimeout = 0,
        }.ConnectionString, autoExplain);
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", cluster.DataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-instructions"], asPostgres, root, ct);
        await File.AppendAllTextAsync(Path.Combine(cluster.DataDir, "postgresql.conf"),
            $"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\nmax_connections = 200\n", ct);
        if (autoExplain)
        {
            // log_min_duration = -1 keeps auto_explain idle (its hooks return at once) until a plan check reloads it at 0.
            await File.AppendAllTextAsync(Path.Combine(cluster.DataDir, "postgresql.conf"),
                "shared_preload_libraries = 'auto_explain'\nauto_explain.log_min_duration = -1\nauto_explain.log_format = json\n" +
                "logging_collector = on\nlog_destination = 'stderr,jsonlog'\nlog_directory = 'log'\n", ct);
        }

        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", cluster.DataDir, "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"], asPostgres, root, ct);
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", DataDir, "-m", "fast", "-w", "stop"], asPostgres, root, CancellationToken.None);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres, string workingDirectory, CancellationToken ct)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
