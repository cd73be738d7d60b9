namespace EventService.Api.Storage;

/// <summary>A bearer credential that may post events; only the SHA-256 of its token is kept.</summary>
public sealed class ProducerCredential
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required byte[] TokenHash { get; set; }

    public short[] Sources { get; set; } = [];

    public long? OrganisationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
