using EventService.Domain.Catalog;

namespace EventService.Domain.Events;

/// <summary>
/// An event that passed validation, normalised for storage: the filterable fields as typed values,
/// the rest as JSON text that reads back as it came.
/// </summary>
/// <param name="Id">The producer's id, or null when the service must assign one.</param>
/// <param name="Timestamp">UTC, truncated to whole microseconds (PostgreSQL's precision).</param>
/// <param name="Iccid">The SIM's ICCID as its exact digits, also when the producer sent a JSON number.</param>
/// <param name="Imsi">The IMSI's digits, likewise.</param>
/// <param name="EntitiesJson">
/// A JSON object with the present, non-null snapshots among organisation, user, endpoint, sim and imsi, each as it
/// came except that <c>sim.iccid</c>, <c>imsi.imsi</c> and <c>endpoint.imei</c> sent as numbers become strings of the same digits.
/// </param>
/// <param name="DetailJson">The <c>detail</c> object as it came; null when absent or null.</param>
/// <param name="ExtraJson">A JSON object of the unknown top-level properties as they came; null when there are none.</param>
public sealed record ValidatedEvent(
    long? Id,
    DateTimeOffset Timestamp,
    int TypeId,
    EventSeverity Severity,
    EventSource Source,
    bool Alert,
    string? Description,
    long OrganisationId,
    string? OrganisationName,
    long? UserId,
    long? EndpointId,
    long? SimId,
    long? ImsiId,
    string? Iccid,
    string? Imsi,
    string? Imei,
    string? IpAddress,
    string EntitiesJson,
    string? DetailJson,
    string? ExtraJson)
{
    /// <summary>The user's name (emnify's <c>q=user:</c>).</summary>
    public string? UserName { get; init; }

    /// <summary>The endpoint's name (<c>q=endpoint:</c>, <c>sort=endpoint</c>).</summary>
    public string? EndpointName { get; init; }

    /// <summary>The endpoint's comma-separated tags (<c>q=tags:</c>).</summary>
    public string? Tags { get; init; }

    /// <summary>The operator's name from an operator-shaped detail (<c>q=network:</c>).</summary>
    public string? Network { get; init; }

    /// <summary>The country's name from an operator-shaped detail (<c>q=country:</c>).</summary>
    public string? Country { get; init; }

    /// <summary><c>detail.pdp_context.rat_type</c> (<c>q=rat:</c>).</summary>
    public short? RatType { get; init; }
}
