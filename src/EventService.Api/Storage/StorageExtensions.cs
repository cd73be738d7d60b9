using EventService.Api.Storage.Events;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace EventService.Api.Storage;

public static partial class StorageExtensions
{
    public const string ConnectionStringName = "Events";

    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section)
            .Validate(o => o.PartitionLeadTime >= TimeSpan.FromDays(1), "Storage:PartitionLeadTime must be at least one day.")
            .Validate(o => o.QuarantineMaxRows >= 1 && o.QuarantineMaxRowsPerPoster >= 1 && o.QuarantineMaxBytesPerPoster >= 1,
                "Storage:QuarantineMaxRows, QuarantineMaxRowsPerPoster and QuarantineMaxBytesPerPoster must be positive.")
            .Validate(o => o.GroupCommitMaxEvents >= 1 && o.DirectWriteMinEvents >= 1 && o.MaxWritesAlone >= 1,
                "Storage:GroupCommitMaxEvents, DirectWriteMinEvents and MaxWritesAlone must be positive.")
            .Validate(o => o.WriteQueueMaxEvents >= 1 && o.WriteQueueMaxBytes >= 1024 && o.WriteQueueMaxBytes <= int.MaxValue,
                "Storage:WriteQueueMaxEvents must be positive and Storage:WriteQueueMaxBytes between 1024 and 2147483647.")
            .Validate(o => o.WriteCommandTimeout >= TimeSpan.FromSeconds(1) && o.WriteCommandTimeout <= o.CommandTimeout,
                "Storage:WriteCommandTimeout must lie between 00:00:01 and Storage:CommandTimeout.")
            .Validate(o => o.GroupCommitWriters is >= 1 and <= 16, "Storage:GroupCommitWriters must lie between 1 and 16.")
            .Validate(o => o.GroupCommitWindow >= TimeSpan.Zero && o.GroupCommitWindow <= TimeSpan.FromSeconds(1),
                "Storage:GroupCommitWindow must lie between 00:00:00 and 00:00:01.")
            .Validate(o => o.ConnectTimeout >= TimeSpan.FromSeconds(1) && o.ConnectTimeout <= TimeSpan.FromMinutes(5),
                "Storage:ConnectTimeout must lie between 00:00:01 and 00:05:00.")
            .Validate(o => o.CommandTimeout >= TimeSpan.FromSeconds(1) && o.CommandTimeout <= TimeSpan.FromHours(1),
                "Storage:CommandTimeout must lie between 00:00:01 and 01:00:00.")
            .Validate(o => o.CountsCompactionInterval >= TimeSpan.FromMilliseconds(100) && o.CountsCompactionInterval <= TimeSpan.FromHours(1),
                "Storage:CountsCompactionInterval must lie between 00:00:00.1 and 01:00:00.")
            .ValidateOnStart();
        builder.Services.AddOptions<RetentionPeriodOptions>().BindConfiguration(RetentionPeriodOptions.Section)
            .Validate(o => o.Period >= TimeSpan.FromDays(1), "Retention:Period must be at least one day (1.00:00:00).")
            .ValidateOnStart();
        builder.Services.AddSingleton<RetentionWindow>();
        builder.Services.AddSingleton<DatabaseClock>();

        // Resolved lazily so that configuration added by a test host is seen.
        builder.Services.AddSingleton(services =>
        {
            var connectionString = services.GetRequiredService<IConfiguration>().GetConnectionString(ConnectionStringName);
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new InvalidOperationException(
                    "ConnectionStrings:Events is not set. Set ConnectionStrings__Events, or start the service with ./run.sh, which starts a local PostgreSQL.");
            }

            var options = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
            return new NpgsqlDataSourceBuilder(WithTimeouts(connectionString, options))
                .UseLoggerFactory(services.GetRequiredService<ILoggerFactory>())
                .Build();
        });
        builder.Services.AddDbContextPool<EventsDbContext>((services, options) => options
            .UseNpgsql(services.GetRequiredService<NpgsqlDataSource>())
            .UseSnakeCaseNamingConvention());

        builder.Services.AddSingleton<EventPartitions>();
        builder.Services.AddSingleton<EventSearch>();
        builder.Services.AddSingleton<QuarantineTrimmer>();
        builder.Services.AddSingleton<EventWriter>();
        builder.Services.AddSingleton<GroupCommitWriter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<GroupCommitWriter>());
        builder.Services.AddSingleton<EventCountsCompactor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventCountsCompactor>());
        return builder;
    }

    /// <summary>
    /// The connection string with our timeouts where it sets none: Npgsql would wait 15 seconds for a connection, so
    /// that with PostgreSQL down or the pool exhausted a request would hang instead of answering 503 quickly.
    /// </summary>
    internal static string WithTimeouts(string connectionString, StorageOptions options)
    {
        // Npgsql's own builder reports every keyword as present, so look at what was written.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!written.Overlaps(["timeout", "connecttimeout", "connectiontimeout"]))
        {
            builder.Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds);
        }

        if (!written.Contains("commandtimeout"))
        {
            builder.CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds);
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Before the service takes requests: waits for PostgreSQL, applies migrations, and creates the partitions the
    /// acceptance window needs.
    /// </summary>
    public static async Task InitializeDatabaseAsync(this WebApplication app, CancellationToken ct = default)
    {
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EventService.Api.Storage");
        await WaitForDatabaseAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), options.StartupTimeout, logger, ct);

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<EventsDbContext>();
        if (options.MigrateOnStartup)
        {
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count > 0)
            {
                LogMigrating(logger, pending.Count, string.Join(", ", pending));
            }

            // A migration may rebuild an index or backfill over every stored event: not bound by the request timeout.
            db.Database.SetCommandTimeout(TimeSpan.FromHours(1));
            await db.Database.MigrateAsync(ct);
        }

        // The stored retention period (seeded from configuration on the first start) before the partitions it decides.
        await app.Services.GetRequiredService<RetentionWindow>().LoadAsync(ct);
        var created = await app.Services.GetRequiredService<EventPartitions>()
            .EnsureAsync(app.Services.GetRequiredService<TimeProvider>().GetUtcNow(), null, ct);
        LogReady(logger, created);
    }

    private static async Task WaitForDatabaseAsync(NpgsqlDataSource dataSource, TimeSpan timeout, ILogger logger, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                return;
            }
            catch (NpgsqlException ex) when (ex is not PostgresException && DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready: {Partitions} partitions created")]
    private static partial void LogReady(ILogger logger, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Applying {Count} migrations (on a large events table this can take minutes): {Migrations}")]
    private static partial void LogMigrating(ILogger logger, int count, string migrations);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for PostgreSQL: {Reason}")]
    private static partial void LogWaiting(ILogger logger, string reason);
}
