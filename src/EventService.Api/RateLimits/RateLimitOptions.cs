using System.ComponentModel.DataAnnotations;

namespace EventService.Api.RateLimits;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>Whether requests are rate-limited at all (<c>RateLimits__Enabled</c>).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// <c>POST /api/v1/event</c>, per credential: each producer, each organisation (all its auth tokens together),
    /// and each remote IP address without a valid credential.
    /// </summary>
    public RateLimitRule Ingest { get; set; } = new() { PermitLimit = 2000, Window = TimeSpan.FromSeconds(1) };

    /// <summary>Every other <c>/api/v1</c> endpoint (reads, authenticate, admin), per credential likewise.</summary>
    public RateLimitRule Read { get; set; } = new() { PermitLimit = 100, Window = TimeSpan.FromSeconds(1) };

    /// <summary>
    /// Requests per remote address (an IPv6 address by its /64) whose credential this instance cannot tell without
    /// asking PostgreSQL (none, an unknown or uncached producer token), counted before any credential is read: a
    /// flood of made-up tokens stops here, before it costs a database lookup. A credential this instance knows (a
    /// cached producer token, the admin key, a JWT) is not counted, so clients behind one address (NAT, a reverse
    /// proxy without <c>Hosting:ForwardedHeaders</c>) share only this, not their own limits.
    /// </summary>
    public RateLimitRule PerAddress { get; set; } = new() { PermitLimit = 100, Window = TimeSpan.FromSeconds(1) };
}

public sealed class RateLimitRule
{
    /// <summary>Requests one credential may make per <see cref="Window"/>; the next one is a 429.</summary>
    [Range(1, 10_000_000)]
    public int PermitLimit { get; set; }

    /// <summary>The fixed window the permits are counted in (e.g. <c>00:00:01</c>).</summary>
    public TimeSpan Window { get; set; }
}
