using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.Extensions.Options;

namespace EventService.Api.Retention;

/// <summary>
/// The storage housekeeping job: once at startup and then every <see cref="RetentionOptions.Interval"/>, it makes
/// rereads the stored retention period (so that a change made on another instance reaches this one's ingest and reads
/// within a round), makes the partitions ahead, purges what is older than the retention period (when enabled) and
/// keeps the quarantine within its bounds. A failed step is logged and retried next round; nothing here stops the host.
/// </summary>
public sealed partial class RetentionJob(
    EventPartitions partitions,
    RetentionWindow window,
    RetentionPurger purger,
    QuarantineTrimmer quarantine,
    TimeProvider time,
    IOptions<RetentionOptions> options,
    ILogger<RetentionJob> logger) : BackgroundService
{
    private readonly TaskCompletionSource firstRound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the startup round has finished, whatever its outcome.</summary>
    public Task FirstRound => firstRound.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunRoundAsync(stoppingToken);
        }
        finally
        {
            firstRound.TrySetResult();
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RunRoundAsync(stoppingToken);
        }
    }

    /// <summary>One round; returns the purge's outcome, or null when the purge is disabled.</summary>
    public async Task<RetentionRun?> RunRoundAsync(CancellationToken ct)
    {
        var o = options.Value;
        try
        {
            await window.LoadAsync(ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogStepFailed(ex, "reading the stored retention period");
        }

        try
        {
            // Outside the purge lock: every instance may need a partition for today's ingest, and the partition
            // catalogue serialises instances itself. A short lock timeout, so that a long query on events cannot keep
            // the round waiting on its ATTACH.
            await partitions.EnsureAsync(time.GetUtcNow(), o.LockTimeout, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogStepFailed(ex, "making partitions ahead");
        }

        var run = o.Enabled ? await purger.PurgeAsync(ct) : null;

        try
        {
            var trimmed = await quarantine.TrimAsync(ct);
            if (trimmed > 0)
            {
                LogTrimmed(trimmed);
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            LogStepFailed(ex, "trimming the quarantine");
        }

        return run;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Rows} oldest quarantined items beyond the bound")]
    private partial void LogTrimmed(int rows);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage housekeeping failed while {Step}; it runs again next round")]
    private partial void LogStepFailed(Exception exception, string step);
}
