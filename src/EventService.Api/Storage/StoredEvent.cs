namespace EventService.Api.Storage;

/// <summary>
/// EF Core's entity of the day-partitioned <c>events</c> table, for the model and its migrations only: rows are written
/// and read through <see cref="Events.EventTable"/>'s column map, which a test holds equal to this entity.
/// </summary>
public sealed class StoredEvent
{
    public long Id { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public int EventTypeId { get; set; }

    public short Severity { get; set; }

    public short Source { get; set; }

    public bool Alert { get; set; }

    public string? Description { get; set; }

    public long OrganisationId { get; set; }

    public long? UserId { get; set; }

    public long? EndpointId { get; set; }

    public long? SimId { get; set; }

    public long? ImsiId { get; set; }

    public string? Iccid { get; set; }

    public string? Imsi { get; set; }

    public string? Imei { get; set; }

    public string? IpAddress { get; set; }

    public string? UserName { get; set; }

    public string? EndpointName { get; set; }

    public string? Tags { get; set; }

    /// <summary>The operator's name, from an operator-shaped detail.</summary>
    public string? Network { get; set; }

    /// <summary>The country's name, from an operator-shaped detail.</summary>
    public string? Country { get; set; }

    /// <summary><c>detail.pdp_context.rat_type</c>.</summary>
    public short? RatType { get; set; }

    /// <summary>jsonb: the organisation, user, endpoint, sim and imsi snapshots as they came.</summary>
    public string Entities { get; set; } = "{}";

    /// <summary>jsonb: the type-specific custom fields as they came.</summary>
    public string? Detail { get; set; }

    /// <summary>jsonb: unknown top-level properties as they came.</summary>
    public string? Extra { get; set; }

    public long? ProducerId { get; set; }
}
