namespace EventService.Api.Storage;

/// <summary>
/// A request key of one credential (an <c>Idempotency-Key</c> or a signed post's <c>webhook-id</c>) with the answer
/// its first request got, committed in the same transaction as that request's events and kept until it expires. Rows
/// are written and read through <see cref="IdempotencyKeys"/>; this is the EF model, for migrations.
/// </summary>
public sealed class IdempotencyRecord
{
    /// <summary>Whose key it is: <c>producer:{id}</c>, or <c>organisation:{id}</c> for an organisation's auth token.</summary>
    public string Scope { get; set; } = "";

    /// <summary><c>idempotency-key</c> or <c>webhook-id</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>SHA-256 of the key, the key's identity: a webhook-id may be 4096 characters, too long for an index.</summary>
    public byte[] KeyHash { get; set; } = [];

    /// <summary>The key as it came, for operators.</summary>
    public string Key { get; set; } = "";

    /// <summary>SHA-256 of the request body's bytes: a replay must carry the same body.</summary>
    public byte[] RequestHash { get; set; } = [];

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From then on the key is forgotten: a request with it is a new one, and the row may be deleted.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The answer's status; null only inside the transaction that claimed the key, before it answered.</summary>
    public int? Status { get; set; }

    public string? ContentType { get; set; }

    public string? Location { get; set; }

    public byte[]? Body { get; set; }
}
