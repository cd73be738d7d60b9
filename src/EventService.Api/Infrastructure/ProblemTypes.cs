namespace EventService.Api.Infrastructure;

/// <summary>The <c>type</c> URIs of this service's problem+json bodies (RFC 9457); listed in the README.</summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:eventservice:problem:";

    public const string Validation = Prefix + "validation";
    public const string BatchRejected = Prefix + "batch-rejected";
    public const string MalformedJson = Prefix + "malformed-json";
    public const string InvalidBody = Prefix + "invalid-body";
    public const string PayloadTooLarge = Prefix + "payload-too-large";
    public const string RequestTimeout = Prefix + "request-timeout";
    public const string HeadersTooLarge = Prefix + "headers-too-large";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string Unauthorized = Prefix + "unauthorized";
    public const string InvalidSignature = Prefix + "invalid-signature";
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";
    public const string InvalidQuery = Prefix + "invalid-query";
    public const string InvalidFilter = Prefix + "invalid-filter";
    public const string InvalidIdempotencyKey = Prefix + "invalid-idempotency-key";
    public const string IdempotencyKeyReused = Prefix + "idempotency-key-reused";
    public const string RateLimited = Prefix + "rate-limited";
    public const string DatabaseUnavailable = Prefix + "database-unavailable";
    public const string WriteRefused = Prefix + "write-refused";
    public const string SortTooLarge = Prefix + "sort-too-large";
    public const string Internal = Prefix + "internal";
}
