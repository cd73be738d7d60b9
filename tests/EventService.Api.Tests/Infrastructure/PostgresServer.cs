using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using DotNet.Testcontainers.Configurations;
using Npgsql;
using Testcontainers.PostgreSql;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL for integration tests, taken from the first source that is available:
/// the <c>EVENTSERVICE_TEST_DB</c> connection string, a Testcontainers container when a Docker
/// engine answers, or a throwaway cluster started from the local PostgreSQL server binaries.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string EnvironmentVariable = "EVENTSERVICE_TEST_DB";
    public const string DatabaseName = "eventservice_tests";
    private const int MinimumMajorVersion = 15;

    private const string NothingAvailable =
        "Integration tests need PostgreSQL 15+: set EVENTSERVICE_TEST_DB to a connection string, start a Docker engine, " +
        "or install the PostgreSQL server binaries (Debian: apt-get install postgresql)";

    private static readonly TimeSpan QuickDockerProbe = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PatientDockerProbe = TimeSpan.FromSeconds(20);

    private readonly Func<ValueTask> _stop;

    private PostgresServer(string connectionString, string origin, Func<ValueTask> stop)
    {
        ConnectionString = connectionString;
        Origin = origin;
        _stop = stop;
    }

    /// <summary>Npgsql connection string to the test database.</summary>
    public string ConnectionString { get; }

    /// <summary>Where the server came from: "environment", "testcontainers" or "local binaries at {dir}".</summary>
    public string Origin { get; }

    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return new PostgresServer(fromEnvironment, "environment", () => ValueTask.CompletedTask);
        }

        // Testcontainers looks for a Docker endpoint once, in a static initializer. Without a daemon that
        // is quick, but an endpoint that never answers could stall it, so it gets a short deadline first.
        var dockerProbe = Task.Run(() => TestcontainersSettings.OS.DockerEndpointAuthConfig is not null, ct);
        if (await AnswersWithinAsync(dockerProbe, QuickDockerProbe, ct))
        {
            return await StartContainerAsync(ct);
        }

        var binDir = LocalBinaries.Find();
        if (binDir is not null)
        {
            var cluster = await LocalCluster.StartAsync(binDir, ct);
            return new PostgresServer(cluster.ConnectionString, $"local binaries at {binDir}", cluster.DisposeAsync);
        }

        // Nothing local to fall back on: a slow Docker endpoint deserves more patience than the quick probe gave it.
        if (await AnswersWithinAsync(dockerProbe, PatientDockerProbe, ct))
        {
            return await StartContainerAsync(ct);
        }

        throw new InvalidOperationException(NothingAvailable);
    }

    public ValueTask DisposeAsync() => _stop();

    private static async Task<bool> AnswersWithinAsync(Task<bool> probe, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await probe.WaitAsync(timeout, ct);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task<PostgresServer> StartContainerAsync(CancellationToken ct)
    {
        var container = new PostgreSqlBuilder("postgres:15-alpine")
            .WithDatabase(DatabaseName)
            .WithUsername("postgres")
            .WithPassword("postgres")
            .WithCommand("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=200")
            .Build();
        try
        {
            await container.StartAsync(ct);
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        var connectionString = new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { IncludeErrorDetail = true };
        return new PostgresServer(connectionString.ConnectionString, "testcontainers", container.DisposeAsync);
    }

    private static class LocalBinaries
    {
        private static readonly string[] Required = ["initdb", "pg_ctl", "postgres"];

        // The first directory that holds initdb, pg_ctl and a postgres of version 15 or later.
        public static string? Find()
        {
            var candidates = new List<string>();
            if (PgConfigBinDir() is { } fromPgConfig)
            {
                candidates.Add(fromPgConfig);
            }

            if (Directory.Exists("/usr/lib/postgresql"))
            {
                candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                    .Select(dir => (Dir: dir, Version: int.TryParse(Path.GetFileName(dir), out var v) ? v : -1))
                    .OrderByDescending(x => x.Version)
                    .Select(x => Path.Combine(x.Dir, "bin")));
            }

            candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));

            return candidates.FirstOrDefault(dir => Required.All(exe => File.Exists(Path.Combine(dir, exe))) && IsRecentEnough(dir));
        }

        // Debian's pg_config comes from libpq-dev and may name a version whose server is not installed;
        // Find() checks that the binaries really are there.
        private static string? PgConfigBinDir()
        {
            try
            {
                var result = Processes.Run("pg_config", ["--bindir"], runAsPostgres: false, TimeSpan.FromSeconds(10));
                return result.Trim() is { Length: > 0 } dir ? dir : null;
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                return null;
            }
        }

        private static bool IsRecentEnough(string binDir)
        {
            try
            {
                var version = Processes.Run(Path.Combine(binDir, "postgres"), ["--version"], runAsPostgres: false, TimeSpan.FromSeconds(10));
                var major = Regex.Match(version, @"\(PostgreSQL\)\s+(\d+)");
                return major.Success && int.Parse(major.Groups[1].Value, CultureInfo.InvariantCulture) >= MinimumMajorVersion;
            }
            catch (Exception e) when (e is Win32Exception or InvalidOperationException)
            {
                return false;
            }
        }
    }

    // A private cluster in a temporary directory, owned by the postgres user when running as root.
    private sealed class LocalCluster
    {
        private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

        private readonly string _binDir;
        private readonly string _root;
        private readonly bool _asPostgres;
        private int _stopped;

        private LocalCluster(string binDir, string root, bool asPostgres)
        {
            _binDir = binDir;
            _root = root;
            _asPostgres = asPostgres;
        }

        public string ConnectionString { get; private set; } = "";

        private string DataDir => Path.Combine(_root, "data");

        private string SocketDir => Path.Combine(_root, "sockets");

        private string LogFile => Path.Combine(_root, "postgres.log");

        public static async Task<LocalCluster> StartAsync(string binDir, CancellationToken ct)
        {
            // PostgreSQL refuses to run as root. The postgres user must be able to reach the directory,
            // which rules out TMPDIRs under /root; /tmp is world-traversable.
            var asPostgres = Environment.IsPrivilegedProcess;
            var tempBase = asPostgres ? "/tmp" : Path.GetTempPath();
            var root = Path.Combine(tempBase, $"eventservice-pg-{Guid.NewGuid():N}"[..28]);
            Directory.CreateDirectory(root);

            var cluster = new LocalCluster(binDir, root, asPostgres);
            AppDomain.CurrentDomain.ProcessExit += cluster.OnProcessExit;
            try
            {
                await cluster.InitAsync(ct);
                await cluster.StartServerAsync(ct);
                await cluster.CreateDatabaseAsync(ct);
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        public ValueTask DisposeAsync()
        {
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
            return new ValueTask(Task.Run(StopAndDelete));
        }

        // The test host gives exit handlers very little time (vstest kills it shortly after the run), too
        // little for pg_ctl to start and wait. SIGQUIT is what "pg_ctl stop -m immediate" sends; sent
        // directly it takes microseconds, and the postmaster finishes shutting down on its own.
        private void OnProcessExit(object? sender, EventArgs e)
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 1)
            {
                return;
            }

            try
            {
                var pidFile = Path.Combine(DataDir, "postmaster.pid");
                if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
                {
                    _ = Kill(pid, SigQuit);
                }

                Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort: the process is exiting and has nobody left to tell.
            }
        }

        private const int SigQuit = 3;

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);

        // TCP connections must give a password (SCRAM), as on any real server: code that loses the password on the way
        // (NpgsqlDataSource.ConnectionString leaves it out) fails here as it would in production. Generated per run.
        private readonly string _password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

        private string PasswordFile => Path.Combine(_root, "password");

        private async Task InitAsync(CancellationToken ct)
        {
            Directory.CreateDirectory(SocketDir);
            await File.WriteAllTextAsync(PasswordFile, _password, ct);
            if (_asPostgres)
            {
                await Processes.RunAsync("chown", ["-R", "postgres:", _root], runAsPostgres: false, CommandTimeout, _root, ct);
            }

            await Processes.RunAsync(Tool("initdb"),
                ["-D", DataDir, "--auth-local=trust", "--auth-host=scram-sha-256", "--pwfile", PasswordFile, "-U", "postgres",
                 "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions"],
                _asPostgres, CommandTimeout, _root, ct);

            // Appending keeps the file's owner; settings trade durability for speed, which a throwaway cluster can afford.
            await File.AppendAllTextAsync(Path.Combine(DataDir, "postgresql.conf"), $"""

                listen_addresses = '127.0.0.1'
                unix_socket_directories = '{SocketDir}'
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                max_connections = 200

                """, ct);
        }

        // The free port is found by binding port 0 and releasing it, so another process may take it
        // before postgres binds; a few attempts with fresh ports cover that race.
        private async Task StartServerAsync(CancellationToken ct)
        {
            const int attempts = 3;
            for (var attempt = 1; ; attempt++)
            {
                var port = FreeTcpPort();
                try
                {
                    await Processes.RunAsync(Tool("pg_ctl"),
                        ["-D", DataDir, "-l", LogFile, "-o", $"-p {port}", "-w", "-t", "60", "start"],
                        _asPostgres, CommandTimeout + TimeSpan.FromSeconds(10), _root, ct);
                    ConnectionString = new NpgsqlConnectionStringBuilder
                    {
                        Host = "127.0.0.1",
                        Port = port,
                        Database = DatabaseName,
                        Username = "postgres",
                        Password = _password,
                        IncludeErrorDetail = true,
                    }.ConnectionString;
                    return;
                }
                catch (InvalidOperationException) when (attempt < attempts && !ct.IsCancellationRequested)
                {
                    // Most likely the port was taken in the meantime: try again with another.
                }
                catch (InvalidOperationException e)
                {
                    throw new InvalidOperationException($"{e.Message}{Environment.NewLine}Server log:{Environment.NewLine}{ReadLog()}", e);
                }
            }
        }

        private async Task CreateDatabaseAsync(CancellationToken ct)
        {
            var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false };
            await using var connection = new NpgsqlConnection(admin.ConnectionString);
            await connection.OpenAsync(ct);
            const string sql = $"CREATE DATABASE {DatabaseName}";
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        private void StopAndDelete()
        {
            if (Interlocked.Exchange(ref _stopped, 1) == 1)
            {
                return;
            }

            try
            {
                if (File.Exists(Path.Combine(DataDir, "postmaster.pid")))
                {
                    Processes.Run(Tool("pg_ctl"), ["-D", DataDir, "-m", "immediate", "-w", "stop"], _asPostgres, CommandTimeout, _root);
                }
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                if (Directory.Exists(_root))
                {
                    Directory.Delete(_root, recursive: true);
                }
            }
        }

        private string Tool(string name) => Path.Combine(_binDir, name);

        private string ReadLog()
        {
            try
            {
                return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no log written)";
            }
            catch (IOException e)
            {
                return $"(could not read {LogFile}: {e.Message})";
            }
        }

        private static int FreeTcpPort()
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)listener.LocalEndPoint!).Port;
        }
    }

    // Runs a command to completion with a deadline; failures carry the command's stderr and stdout.
    private static class Processes
    {
        // A child that inherited the pipes could keep them open after the command itself exited.
        private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);

        public static string Run(string file, IReadOnlyList<string> args, bool runAsPostgres, TimeSpan timeout, string? workingDirectory = null)
        {
            using var process = Begin(file, args, runAsPostgres, workingDirectory);
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw Failure(file, args, $"did not finish within {timeout.TotalSeconds:0} s", stdout, stderr);
            }

            Task.WaitAll([stdout, stderr], OutputGrace);
            return process.ExitCode == 0
                ? stdout.GetAwaiter().GetResult()
                : throw Failure(file, args, $"exited with code {process.ExitCode}", stdout, stderr);
        }

        public static async Task<string> RunAsync(
            string file, IReadOnlyList<string> args, bool runAsPostgres, TimeSpan timeout, string workingDirectory, CancellationToken ct)
        {
            using var process = Begin(file, args, runAsPostgres, workingDirectory);
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                ct.ThrowIfCancellationRequested();
                throw Failure(file, args, $"did not finish within {timeout.TotalSeconds:0} s", stdout, stderr);
            }

            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(OutputGrace, CancellationToken.None));
            return process.ExitCode == 0
                ? await stdout
                : throw Failure(file, args, $"exited with code {process.ExitCode}", stdout, stderr);
        }

        private static Process Begin(string file, IReadOnlyList<string> args, bool runAsPostgres, string? workingDirectory)
        {
            var startInfo = new ProcessStartInfo(runAsPostgres ? "runuser" : file)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = workingDirectory ?? "",
            };
            if (runAsPostgres)
            {
                foreach (var prefix in (string[])["-u", "postgres", "--", file])
                {
                    startInfo.ArgumentList.Add(prefix);
                }
            }

            foreach (var arg in args)
            {
                startInfo.ArgumentList.Add(arg);
            }

            var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {file}");
            process.StandardInput.Close();
            return process;
        }

        private static InvalidOperationException Failure(
            string file, IReadOnlyList<string> args, string what, Task<string> stdout, Task<string> stderr)
        {
            static string Text(Task<string> output) => output.IsCompletedSuccessfully ? output.Result.Trim() : "(unavailable)";
            return new InvalidOperationException(
                $"`{file} {string.Join(' ', args)}` {what}.{Environment.NewLine}" +
                $"stderr: {Text(stderr)}{Environment.NewLine}stdout: {Text(stdout)}");
        }
    }
}
