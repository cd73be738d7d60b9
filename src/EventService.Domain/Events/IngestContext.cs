namespace EventService.Domain.Events;

/// <summary>Everything validation needs besides the event: the clock reading, the window, the credential, the limits.</summary>
public sealed record IngestContext(DateTimeOffset Now, AcceptanceWindow Window, ProducerPermissions Permissions, EventLimits Limits);
