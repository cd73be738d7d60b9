namespace EventService.Api.Retention;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>How long events (and quarantined items) are kept; ingest refuses events older than this, and the purge removes them.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention job runs (also once at startup): partitions ahead, the purge, the quarantine bound.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether the job purges; partitions ahead and the quarantine bound are kept either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most rows one DELETE of the purge removes (straddling partition, quarantine); each batch is its own short transaction.</summary>
    public int DeleteBatchSize { get; set; } = 5_000;

    /// <summary>Longest the purge waits for a table lock; a timeout fails the round, which is retried next round.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
