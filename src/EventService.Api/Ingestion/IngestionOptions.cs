using System.ComponentModel.DataAnnotations;

namespace EventService.Api.Ingestion;

public sealed class IngestionOptions
{
    public const string Section = "Ingestion";

    /// <summary>Largest request body of <c>POST /api/v1/event</c>, in bytes; larger is a 413.</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public long MaxBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Most events in one posted array (emnify's Data Streamer sends up to 3000); more is a 413.</summary>
    [Range(1, 100_000)]
    public int MaxBatchSize { get; set; } = 3000;

    /// <summary>
    /// Deadline of one ingest request, from validation on: a request the writer has not taken by then answers 503
    /// with Retry-After and is not written; one it has taken waits for that commit, which
    /// <c>Storage:WriteCommandTimeout</c> bounds.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far in the future an event's timestamp may lie (producers' clocks drift).</summary>
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Deepest nesting of objects and arrays inside one event.</summary>
    [Range(4, 64)]
    public int MaxDepth { get; set; } = 16;

    /// <summary>Longest string value or property name inside an event.</summary>
    [Range(64, 1_000_000)]
    public int MaxStringLength { get; set; } = 4096;

    /// <summary>Most properties and array elements, counted at every depth, in an event's <c>detail</c> and its unknown properties (top level and inside emnify's objects) together.</summary>
    [Range(1, 100_000)]
    public int MaxCustomProperties { get; set; } = 512;

    /// <summary>
    /// Largest single event, in bytes of its JSON as posted (UTF-8, whitespace included); a larger one is rejected
    /// with a field error at <c>$</c>, and in an array only that item. emnify's events are about 1 KB.
    /// </summary>
    [Range(1024, 100 * 1024 * 1024)]
    public int MaxEventBytes { get; set; } = 64 * 1024;

    /// <summary>Longest payload text kept for a quarantined item; the rest is cut off.</summary>
    [Range(256, 10 * 1024 * 1024)]
    public int MaxQuarantinePayloadChars { get; set; } = 64 * 1024;

    /// <summary>
    /// Most <c>POST /api/v1/event</c> requests one credential (a producer, or an organisation's auth tokens together)
    /// has in flight at once, body reading included; one more is a 429. Off with <c>RateLimits:Enabled=false</c>.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxConcurrentRequestsPerCredential { get; set; } = 32;

    /// <summary>
    /// Slowest a <c>POST /api/v1/event</c> body may arrive over HTTP/1.x, in bytes per second averaged from its start
    /// (Kestrel's minimum request body data rate, set for this endpoint only); slower, and Kestrel ends the request
    /// with a 408. Zero leaves Kestrel's own (240 bytes per second). HTTP/2 bodies have only <see cref="BodyReadTimeout"/>.
    /// </summary>
    [Range(0, 1024 * 1024 * 1024)]
    public int MinBodyDataRate { get; set; } = 8 * 1024;

    /// <summary>How long a body may arrive slower than <see cref="MinBodyDataRate"/> before the rate counts; more than a second.</summary>
    public TimeSpan MinBodyDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest a <c>POST /api/v1/event</c> body may take to arrive in full, from when the endpoint starts reading it;
    /// a body not complete by then is a 408 problem and nothing is written.
    /// </summary>
    public TimeSpan BodyReadTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
