using Microsoft.Extensions.Options;

namespace EventService.Api.Storage;

/// <summary>Creates partitions ahead and trims the quarantine on an interval; a failed round is logged and retried next round.</summary>
public sealed partial class StorageMaintenanceService(
    PartitionManager partitions,
    QuarantineTrimmer quarantine,
    TimeProvider time,
    IOptions<StorageOptions> options,
    ILogger<StorageMaintenanceService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first round ran during startup (DatabaseInitializer); this loop covers the days after.
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RunOnceAsync(stoppingToken);
        }
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        try
        {
            await partitions.EnsurePartitionsAsync(time.GetUtcNow(), ct);
            var trimmed = await quarantine.TrimAsync(ct);
            if (trimmed > 0)
            {
                LogTrimmed(trimmed);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Rows} oldest quarantined items beyond the bound")]
    private partial void LogTrimmed(int rows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage maintenance failed; it runs again next round")]
    private partial void LogFailed(Exception exception);
}
