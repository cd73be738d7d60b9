using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage;

/// <summary>
/// Folds the per-hour count deltas that the triggers on <c>events</c> append into <c>event_counts</c>, every
/// <see cref="StorageOptions.CountsCompactionInterval"/>, so that an exact count sums few rows. One statement moves
/// what its snapshot sees (deltas committed later stay for the next round), so readers see each delta exactly once,
/// before or after; two instances compacting at once skip what the other already moved.
/// </summary>
public sealed partial class EventCountsCompactor(
    NpgsqlDataSource dataSource,
    IOptions<StorageOptions> options,
    TimeProvider time,
    ILogger<EventCountsCompactor> logger) : BackgroundService
{
    private const string Compact =
        """
        WITH moved AS (DELETE FROM event_count_deltas RETURNING organisation_id, hour, events)
        INSERT INTO event_counts AS c (organisation_id, hour, events)
        SELECT organisation_id, hour, sum(events) FROM moved GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (organisation_id, hour) DO UPDATE SET events = c.events + excluded.events
        """;

    /// <summary>Folds every committed delta in; returns how many hour rows it added to or created.</summary>
    public async Task<int> CompactAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Compact);
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
