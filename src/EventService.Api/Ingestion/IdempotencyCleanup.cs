using EventService.Api.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Ingestion;

/// <summary>
/// Deletes expired request keys every <see cref="IdempotencyOptions.CleanupInterval"/>, in batches of
/// <see cref="IdempotencyOptions.CleanupBatchSize"/>. Expiry itself needs no deletion: a request finds an expired key
/// as if it were not there.
/// </summary>
public sealed partial class IdempotencyCleanup(
    NpgsqlDataSource dataSource,
    IOptions<IdempotencyOptions> options,
    TimeProvider time,
    ILogger<IdempotencyCleanup> logger) : BackgroundService
{
    /// <summary>Deletes every key expired by now, batch by batch; returns how many.</summary>
    public async Task<int> DeleteExpiredAsync(CancellationToken ct)
    {
        var batchSize = options.Value.CleanupBatchSize;
        var now = time.GetUtcNow();
        var total = 0;
        int deleted;
        do
        {
            deleted = await IdempotencyKeys.DeleteExpiredAsync(dataSource, now, batchSize, ct);
            total += deleted;
        }
        while (deleted == batchSize);

        return total;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CleanupInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    LogDeleted(await DeleteExpiredAsync(stoppingToken));
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Expired keys are ignored by requests either way; they only take room until the next round.
                    LogFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Deleted {Keys} expired request keys")]
    private partial void LogDeleted(int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting expired request keys failed; retrying next interval")]
    private partial void LogFailed(Exception ex);
}
