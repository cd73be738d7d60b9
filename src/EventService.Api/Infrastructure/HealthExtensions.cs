using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Infrastructure;

public static class HealthExtensions
{
    private const string Ready = "ready";

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HealthOptions>().BindConfiguration(HealthOptions.Section)
            .Validate(o => o.ReadyCacheDuration >= TimeSpan.Zero && o.ReadyCacheDuration <= TimeSpan.FromMinutes(1),
                "Health:ReadyCacheDuration must lie between 00:00:00 and 00:01:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ReadinessCheck>();
        builder.Services.AddHealthChecks().AddCheck<ReadinessCheck>("database", tags: [Ready]);
        return builder;
    }

    /// <summary>
    /// <c>/health/live</c>: the process answers. <c>/health/ready</c>: the database answers and is migrated. Both
    /// short-circuit at routing: no credential is read (so no lookup in the database), no limit applies.
    /// </summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false }).AllowAnonymous().ShortCircuit();
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains(Ready) }).AllowAnonymous().ShortCircuit();
        return app;
    }
}

public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>
    /// How long a readiness answer is reused: however many calls arrive, the database is checked at most once per
    /// this period (and concurrent calls share one check). Zero checks on every call.
    /// </summary>
    public TimeSpan ReadyCacheDuration { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The database answers and every migration is applied; the result is kept for <see cref="HealthOptions.ReadyCacheDuration"/>
/// by the injected clock, so that a flood of <c>/health/ready</c> costs PostgreSQL one check per period.
/// </summary>
public sealed class ReadinessCheck(
    IServiceScopeFactory scopes, NpgsqlDataSource dataSource, TimeProvider time, IOptions<HealthOptions> options, IOptions<StorageOptions> storage)
    : IHealthCheck
{
    private async Task<HashSet<string>> AppliedAsync(CancellationToken ct)
    {
        var applied = new HashSet<string>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand("""SELECT migration_id FROM "__EFMigrationsHistory" """);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                applied.Add(reader.GetString(0));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Never migrated: every migration is pending.
        }

        return applied;
    }

    private readonly Lock gate = new();
    private Task<HealthCheckResult>? last;
    private long checkedAt;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        lock (gate)
        {
            if (last is null || (last.IsCompleted && Expired(time.GetElapsedTime(Volatile.Read(ref checkedAt)))))
            {
                // Not the caller's token: the check is shared by every caller that comes while it runs.
                last = Task.Run(CheckAsync, CancellationToken.None);
            }

            return last.WaitAsync(ct);
        }
    }

    // A clock set back (tests start every test at the same instant) makes the age negative: check again.
    private bool Expired(TimeSpan age) => age < TimeSpan.Zero || age >= options.Value.ReadyCacheDuration;

    private async Task<HealthCheckResult> CheckAsync()
    {
        try
        {
            string[] known;
            await using (var scope = scopes.CreateAsyncScope())
            {
                known = scope.ServiceProvider.GetRequiredService<EventsDbContext>().Database.GetMigrations().ToArray(); // no I/O
            }

            // Within the connect timeout, connection and query together: a stuck database is a quick 503. On a
            // connection of its own, not a pooled DbContext: a check given up on may still run afterwards.
            var applied = await DatabaseTimeout.RunAsync(AppliedAsync, storage.Value.ConnectTimeout, "The readiness check", CancellationToken.None);
            var pending = known.Count(m => !applied.Contains(m));
            return pending == 0
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"{pending} migrations are not applied.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", ex);
        }
        finally
        {
            Volatile.Write(ref checkedAt, time.GetTimestamp());
        }
    }
}
