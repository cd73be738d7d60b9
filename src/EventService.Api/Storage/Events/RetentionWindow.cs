using Microsoft.Extensions.Options;

namespace EventService.Api.Storage.Events;

/// <summary>How long events are kept (the <c>Retention</c> section's <c>Period</c>).</summary>
public sealed class RetentionPeriodOptions
{
    public const string Section = "Retention";

    /// <summary>How long events (and quarantined items) are kept; ingest refuses events older than this, and the purge removes them.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// The retention rule, written once: an event older than <see cref="Period"/> before now lies before the cutoff.
/// Ingest's acceptance window, the purge, the partitions kept, the counts read and the admin view all take their
/// cutoff from here, with the same clock, so that ingest never writes what the purge removes.
/// </summary>
public sealed class RetentionWindow(IOptions<RetentionPeriodOptions> options, TimeProvider time)
{
    public TimeSpan Period => options.Value.Period;

    /// <summary>The cutoff at <paramref name="now"/>: older events are refused by ingest and removed by the purge.</summary>
    public DateTimeOffset CutoffAt(DateTimeOffset now) => now - Period;

    /// <summary>The cutoff now, by the injected clock.</summary>
    public DateTimeOffset Cutoff => CutoffAt(time.GetUtcNow());

    /// <summary>The first UTC day that holds events still kept at <paramref name="now"/>.</summary>
    public DateOnly FirstDayAt(DateTimeOffset now) => DateOnly.FromDateTime(CutoffAt(now).UtcDateTime);
}
