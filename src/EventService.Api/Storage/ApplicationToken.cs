namespace EventService.Api.Storage;

/// <summary>An organisation's application token: exchanged for a JWT at <c>/api/v1/authenticate</c>; only its SHA-256 is kept.</summary>
public sealed class ApplicationToken
{
    public long Id { get; set; }

    public long OrganisationId { get; set; }

    public string? Description { get; set; }

    public required byte[] TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
