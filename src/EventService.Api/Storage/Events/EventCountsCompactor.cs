using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>
/// Folds the per-hour count deltas that the triggers on <c>events</c> append into <c>event_counts</c>, every
/// <see cref="StorageOptions.CountsCompactionInterval"/>, so that an exact count sums few rows (the rules: <see cref="EventCounts"/>).
/// Two instances compacting at once skip what the other already moved.
/// </summary>
public sealed partial class EventCountsCompactor(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<EventCountsCompactor> logger) : BackgroundService
{
    /// <summary>Folds every committed delta in; returns how many hour rows it added to or created.</summary>
    public async Task<int> CompactAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(EventCounts.CompactSql);
        return await command.ExecuteNonQueryAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CountsCompactionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CompactAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // Counts stay exact without it (readers add the deltas); only reading them gets slower.
                    LogFailed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Folding the hourly count deltas failed; retrying next interval")]
    private partial void LogFailed(Exception ex);
}
