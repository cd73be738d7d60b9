namespace EventService.Api.Retention;

public sealed class RetentionOptions
{
    public const string Section = "Retention";

    // Retention:Period, how long events are kept, is bound by Storage (RetentionPeriodOptions), whose RetentionWindow
    // every cutoff comes from: it only seeds the period stored in the database.

    /// <summary>How often the retention job runs (also once at startup): partitions ahead, the purge, the quarantine bound.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Whether the job purges; partitions ahead and the quarantine bound are kept either way.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Most rows one DELETE of the purge removes (straddling partition, quarantine); each batch is its own short transaction.</summary>
    public int DeleteBatchSize { get; set; } = 5_000;

    /// <summary>Longest the purge waits for a table lock; a timeout fails the round, which is retried next round.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Longest a plain DETACH waits for its ACCESS EXCLUSIVE lock on events, which every insert and read queues behind
    /// while it waits. Used only when events has a DEFAULT partition (an operator's), which forbids DETACH CONCURRENTLY.
    /// </summary>
    public TimeSpan PlainDetachLockTimeout { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Most this instance's clock may differ from the database's for it to purge; beyond it the round refuses to purge
    /// and says so (the cutoff comes from the database's clock, ingest's acceptance window from this instance's).
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(1);
}
