namespace EventService.Api.RateLimits;

/// <summary>The rate-limiting policies; every <c>/api/v1</c> endpoint names one with <c>[EnableRateLimiting]</c>.</summary>
public static class RateLimitPolicies
{
    public const string Ingest = "ingest";

    public const string Read = "read";
}
