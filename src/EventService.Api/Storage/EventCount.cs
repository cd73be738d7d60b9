namespace EventService.Api.Storage;

/// <summary>
/// How many events an organisation holds with a timestamp in one UTC hour, as of the last compaction: with the
/// <see cref="EventCountDelta"/> rows not yet folded in, exact. An exact X-Total-Count over a long window sums a few
/// hundred of these instead of counting millions of index entries.
/// </summary>
public sealed class EventCount
{
    public long OrganisationId { get; set; }

    /// <summary>The start of the UTC hour.</summary>
    public DateTimeOffset Hour { get; set; }

    public long Events { get; set; }
}
