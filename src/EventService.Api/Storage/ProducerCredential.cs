namespace EventService.Api.Storage;

/// <summary>A bearer credential that may post events; only the SHA-256 of its token is kept.</summary>
public sealed class ProducerCredential
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required byte[] TokenHash { get; set; }

    public short[] Sources { get; set; } = [];

    public long? OrganisationId { get; set; }

    /// <summary>
    /// The Standard Webhooks secret its posts are signed with, when it signs them. Kept as it is, unlike the token:
    /// checking an HMAC needs the key itself, and a hash of it could not recompute the signature.
    /// </summary>
    // REVIEW: plain bytes in the database; encrypting them at rest (ASP.NET Data Protection, a KMS) is left for later.
    public byte[]? SigningSecret { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}
