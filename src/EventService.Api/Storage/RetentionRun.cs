namespace EventService.Api.Storage;

/// <summary>
/// The latest retention round of any instance, kept in the one-row table <c>retention_runs</c> so that every
/// instance's admin API shows it.
/// </summary>
public sealed class RetentionRun
{
    /// <summary>The only row's key.</summary>
    public const int LatestId = 1;

    public int Id { get; set; } = LatestId;

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset FinishedAt { get; set; }

    public long DurationMs { get; set; }

    public DateTimeOffset Cutoff { get; set; }

    public int PartitionsDropped { get; set; }

    public long RowsDeleted { get; set; }

    public long QuarantineDeleted { get; set; }

    /// <summary>Another instance held the purge lock, so this round did nothing.</summary>
    public bool Skipped { get; set; }

    /// <summary>
    /// Why this instance refused to purge (its configured period differs from the stored one, or its clock from the
    /// database's by more than <c>Retention:MaxClockSkew</c>); null when it did not refuse.
    /// </summary>
    public string? PurgeBlocked { get; set; }

    /// <summary>Why the round failed; null when it succeeded.</summary>
    public string? Error { get; set; }
}
