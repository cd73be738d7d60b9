namespace EventService.Domain.Events;

/// <summary>The span of event timestamps that ingest accepts, relative to now.</summary>
/// <param name="Retention">How far back an event may lie (the retention period; older events would be purged at once).</param>
/// <param name="MaxFutureSkew">How far ahead of now an event may lie (producers' clocks drift).</param>
public sealed record AcceptanceWindow(TimeSpan Retention, TimeSpan MaxFutureSkew)
{
    public static AcceptanceWindow Default { get; } = new(TimeSpan.FromDays(30), TimeSpan.FromMinutes(5));

    public DateTimeOffset OldestAccepted(DateTimeOffset now) => now - Retention;

    public DateTimeOffset NewestAccepted(DateTimeOffset now) => now + MaxFutureSkew;
}
