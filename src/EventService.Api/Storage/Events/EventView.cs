namespace EventService.Api.Storage.Events;

/// <summary>
/// What a client sees of a stored event: the columns reads return (<see cref="EventTable.Returned"/>, in that order),
/// for lists, single reads and the answer to a POST alike.
/// </summary>
/// <param name="Entities">jsonb: the organisation, user, endpoint, sim and imsi snapshots as they came.</param>
/// <param name="Detail">jsonb: the type-specific custom fields as they came.</param>
/// <param name="Extra">jsonb: unknown top-level properties as they came.</param>
public sealed record EventView(
    long Id,
    DateTimeOffset Timestamp,
    int EventTypeId,
    short Severity,
    short Source,
    bool Alert,
    string? Description,
    string Entities,
    string? Detail,
    string? Extra)
{
    /// <summary>The view from the returned columns' values in map order (checked against the map by a test).</summary>
    public static EventView FromValues(object?[] v) => new(
        (long)v[0]!, (DateTimeOffset)v[1]!, (int)v[2]!, (short)v[3]!, (short)v[4]!, (bool)v[5]!,
        (string?)v[6], (string)v[7]!, (string?)v[8], (string?)v[9]);
}
