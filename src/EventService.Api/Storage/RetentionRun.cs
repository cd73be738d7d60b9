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

    /// <summary>Why the round failed; null when it succeeded.</summary>
    public string? Error { get; set; }
}
