namespace EventService.Api.Ingestion;

/// <summary>How long ingest remembers the keys of answered requests, and how much of an answer it keeps.</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Idempotency";

    /// <summary>How long an <c>Idempotency-Key</c> and its first answer are kept; after that the key is new again.</summary>
    public TimeSpan KeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long a signed post's <c>webhook-id</c> and its first answer are kept: at least twice the signature's
    /// 5-minute tolerance, the longest a captured post stays acceptable after it was first seen.
    /// </summary>
    public TimeSpan WebhookIdLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Largest answer kept for a key, in bytes. A keyed request whose answer would be larger writes nothing and answers
    /// 413. The 200 answer to 3000 accepted events is about 170 KB; to 3000 rejected ones with a short error each,
    /// about 300 KB.
    /// </summary>
    public int MaxAnswerBytes { get; set; } = 1024 * 1024;

    /// <summary>How often expired keys are deleted.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Most expired keys one DELETE removes; a round deletes batch after batch until none is left.</summary>
    public int CleanupBatchSize { get; set; } = 1000;
}
