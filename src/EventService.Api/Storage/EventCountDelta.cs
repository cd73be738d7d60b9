namespace EventService.Api.Storage;

/// <summary>
/// A change to an organisation's count of events in one UTC hour, appended by the triggers on <c>events</c> in the
/// writing transaction (negative for deletions). Appending takes no row lock, so concurrent writers never wait for
/// each other here; <see cref="Events.EventCountsCompactor"/> folds the deltas into <see cref="EventCount"/> rows.
/// </summary>
public sealed class EventCountDelta
{
    public long OrganisationId { get; set; }

    /// <summary>The start of the UTC hour.</summary>
    public DateTimeOffset Hour { get; set; }

    public long Events { get; set; }
}
