using System.Net.Http.Headers;
using System.Security.Cryptography;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Respawn;
using Respawn.Graph;

namespace EventService.Api.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<ApiFixture>
{
    public const string Name = "api";
}

/// <summary>One PostgreSQL and one host for every integration test; each test starts from empty tables.</summary>
public sealed class ApiFixture : IAsyncLifetime
{
    /// <summary>The clock the host sees when a test starts: a day after the samples' events.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 21, 0, 0, 0, TimeSpan.Zero);

    private PostgresServer? postgres;
    private readonly WebApplicationFactory<Program> root = new();
    private WebApplicationFactory<Program>? factory;
    private Respawner? respawner;

    public string AdminKey { get; } = "test-admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public string JwtSigningKey { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));

    private readonly TestClock clock = new(Start);

    /// <summary>The database's clock as every host that keeps the default sees it: the test clock plus a skew a test may set.</summary>
    public TestDatabaseClock DatabaseClock { get; }

    public ApiFixture() => DatabaseClock = new TestDatabaseClock(clock);

    /// <summary>The host's clock for the running test; move it with Advance.</summary>
    public FakeTimeProvider Time => clock.Current;

    /// <summary>Every host's TimeProvider; moving <see cref="Time"/> never fires the shared host's job timers (see TestClock).</summary>
    public TestClock Clock => clock;

    public string ConnectionString => postgres!.ConnectionString;

    public WebApplicationFactory<Program> Factory => factory!;

    public async Task InitializeAsync()
    {
        postgres = await PostgresServer.StartAsync();
        factory = CreateFactory();
        _ = factory.Server; // starts the host: migrations, catalog, partitions
        // The retention job's startup round must not hold the purge lock while a test runs its own round.
        await factory.Services.GetRequiredService<RetentionJob>().FirstRound;
    }

    /// <summary>
    /// A host over the same database with extra settings (e.g. smaller limits). With
    /// <paramref name="realDatabaseClock"/> it reads PostgreSQL's own clock instead of <see cref="DatabaseClock"/>.
    /// </summary>
    public WebApplicationFactory<Program> CreateFactory(IReadOnlyDictionary<string, string?>? settings = null, bool realDatabaseClock = false) =>
        root.WithWebHostBuilder(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:Events", ConnectionString);
            builder.UseSetting("Admin:ApiKey", AdminKey);
            builder.UseSetting("Jwt:SigningKey", JwtSigningKey);
            builder.UseSetting("Retention:LockTimeout", "00:00:00.300"); // keeps the lock-timeout test quick
            // The limiter runs in every test, but only the rate-limit tests (with their own small limits) reach it;
            // likewise the bound on a credential's posts in flight (the group-commit tests post 40 at once).
            builder.UseSetting("RateLimits:Ingest:PermitLimit", "10000000");
            builder.UseSetting("RateLimits:Read:PermitLimit", "10000000");
            builder.UseSetting("RateLimits:PerAddress:PermitLimit", "10000000");
            builder.UseSetting("Ingestion:MaxConcurrentRequestsPerCredential", "100000");
            foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureServices(services =>
            {
                services.RemoveAll<TimeProvider>();
                services.AddSingleton<TimeProvider>(clock);
                if (!realDatabaseClock)
                {
                    services.RemoveAll<DatabaseClock>();
                    services.AddSingleton<DatabaseClock>(DatabaseClock);
                }
            });
            builder.ConfigureLogging(logging => logging.AddProvider(new TestOutputLoggerProvider()));
        });

    public async Task ResetAsync()
    {
        clock.Reset(Start);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        respawner ??= await CreateRespawnerAsync(connection);
        await respawner.ResetAsync(connection);
        DatabaseClock.Skew = TimeSpan.Zero;
        // The stored retention period went with the reset: the shared host seeds it again from its configuration.
        await Factory.Services.GetRequiredService<RetentionWindow>().LoadAsync(CancellationToken.None);
        await RestorePartitionsAsync(connection);
    }

    // Every table is emptied and its identities restarted, so a new table needs no edit here; only the built-in
    // catalog and EF's migration history stay. The events partitions are left out of the list: TRUNCATE events
    // empties them all (and its trigger the hourly counts), while a list of them would go stale as the retention
    // tests drop and make partitions.
    private static async Task<Respawner> CreateRespawnerAsync(NpgsqlConnection connection)
    {
        var partitions = new List<Table>();
        await using (var command = new NpgsqlCommand(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relispartition", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                partitions.Add(new Table("public", reader.GetString(0)));
            }
        }

        return await Respawner.CreateAsync(connection, new RespawnerOptions
        {
            DbAdapter = DbAdapter.Postgres,
            SchemasToInclude = ["public"],
            TablesToIgnore = [new Table("public", "event_types"), new Table("public", "__EFMigrationsHistory"), .. partitions],
            WithReseed = true,
        });
    }

    // Retention tests move the clock, drop old partitions, make new ones ahead and plant tables of their own (named
    // events_*): put back exactly the daily partitions the start clock needs, from the acceptance window's first day
    // to the lead time, and drop every other table named events_*.
    private async Task RestorePartitionsAsync(NpgsqlConnection connection)
    {
        var expected = Enumerable.Range(0, 34).Select(d => EventPartitions.DailyName(DateOnly.FromDateTime(Start.AddDays(-30 + d).UtcDateTime))).ToArray();
        // A detach a test interrupted is finalized first (FINALIZE cannot run inside the DO block's transaction).
        var pending = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'events'::regclass AND inhdetachpending", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                pending.Add(reader.GetString(0));
            }
        }

        foreach (var name in pending)
        {
            await using var finalize = new NpgsqlCommand($"ALTER TABLE events DETACH PARTITION {name} FINALIZE", connection);
            await finalize.ExecuteNonQueryAsync();
        }

        await using (var setting = new NpgsqlCommand("SELECT set_config('test.expected', @names, false)", connection))
        {
            setting.Parameters.AddWithValue("names", string.Join(',', expected));
            await setting.ExecuteNonQueryAsync();
        }

        await using var drop = new NpgsqlCommand(
            """
            DO $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT c.oid::regclass::text AS name FROM pg_class c
                         WHERE c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace AND c.relname LIKE 'events\_%'
                           AND NOT (c.relname = ANY (string_to_array(current_setting('test.expected'), ','))
                                    AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = 'events'::regclass))
                           AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent <> 'events'::regclass)
                LOOP
                    EXECUTE 'DROP TABLE IF EXISTS ' || r.name;
                END LOOP;
            END $$
            """, connection);
        await drop.ExecuteNonQueryAsync();
        await Factory.Services.GetRequiredService<EventPartitions>().EnsureAsync(Start, null, CancellationToken.None);
    }

    public HttpClient Client(string? bearer = null) => Client(Factory, bearer);

    public static HttpClient Client(WebApplicationFactory<Program> factory, string? bearer)
    {
        var client = factory.CreateClient();
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public HttpClient AdminClient() => Client(AdminKey);

    public async Task<T> QueryScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public T WithDb<T>(Func<EventsDbContext, T> use)
    {
        using var scope = Factory.Services.CreateScope();
        return use(scope.ServiceProvider.GetRequiredService<EventsDbContext>());
    }

    public async Task DisposeAsync()
    {
        await root.DisposeAsync();

        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }
}
