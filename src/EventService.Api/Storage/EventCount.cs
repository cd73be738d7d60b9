namespace EventService.Api.Storage;

/// <summary>
/// How many events an organisation holds with a timestamp in one UTC hour: kept exact by statement triggers on
/// <c>events</c> (insert, delete, truncate) in the inserting transaction, so that an exact X-Total-Count over a long
/// window sums a few hundred of these instead of counting millions of index entries. See <c>EventCounts</c>.
/// </summary>
public sealed class EventCount
{
    public long OrganisationId { get; set; }

    /// <summary>The start of the UTC hour.</summary>
    public DateTimeOffset Hour { get; set; }

    public long Events { get; set; }
}
