namespace EventService.Domain.Events;

/// <summary>The outcome for one posted event: either a valid event or field errors keyed by JSON path.</summary>
/// <param name="Id">The id the producer sent, when it could be read (also for a rejected event, for reporting).</param>
public sealed record EventValidationResult(ValidatedEvent? Event, long? Id, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Event is not null;
}
