using EventService.Domain.Catalog;

namespace EventService.Domain.Queries;

/// <summary>
/// The typed form of emnify's <c>q</c> parameter: every condition is ANDed; list-valued ones are ORs of their
/// values. Null (or empty) means "no condition". Text conditions compare case-insensitively.
/// </summary>
public sealed record EventFilter
{
    public static EventFilter None { get; } = new();

    /// <summary><c>type:1|3</c>: event type ids (up to 6).</summary>
    public IReadOnlyList<int> Types { get; init; } = [];

    /// <summary><c>source:0</c>.</summary>
    public EventSource? Source { get; init; }

    /// <summary><c>severity:1</c>.</summary>
    public EventSeverity? Severity { get; init; }

    /// <summary><c>alert:true</c>.</summary>
    public bool? Alert { get; init; }

    /// <summary><c>description:quota</c>: a substring of the description.</summary>
    public string? Description { get; init; }

    /// <summary><c>organisation:Acme Fleet</c>: the organisation's name.</summary>
    public string? OrganisationName { get; init; }

    /// <summary><c>user:Dana Ops</c>: the user's name.</summary>
    public string? UserName { get; init; }

    /// <summary><c>endpoint:truck-017|truck-018</c>: endpoint names (up to 6).</summary>
    public IReadOnlyList<string> EndpointNames { get; init; } = [];

    /// <summary><c>tags:fleet</c>: a substring of the endpoint's comma-separated tags.</summary>
    public string? Tags { get; init; }

    /// <summary><c>ip_address:100.64.12.7</c>: the endpoint's IP address (IPv4 or IPv6, normalised).</summary>
    public string? IpAddress { get; init; }

    /// <summary><c>imei:356938035643809</c>.</summary>
    public string? Imei { get; init; }

    /// <summary><c>iccid:8988303|89883030000000123456</c> and <c>iccid_with_luhn:...</c>: ICCIDs without Luhn digit, each exact or a prefix (up to 6).</summary>
    public IReadOnlyList<IccidCondition> Iccids { get; init; } = [];

    /// <summary><c>imsi:901430000012345</c>.</summary>
    public string? Imsi { get; init; }

    /// <summary>Inclusive lower bound on the timestamp (<c>from</c>, or the start of the <c>timestamp</c> day).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Upper bound on the timestamp (<c>until</c>, inclusive; or the end of the <c>timestamp</c> day, exclusive: see <see cref="UntilExclusive"/>).</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>True when <see cref="Until"/> is an exclusive bound (the <c>timestamp</c> day form).</summary>
    public bool UntilExclusive { get; init; }

    /// <summary><c>network:Telekom|Vodafone</c>: operator names (up to 6).</summary>
    public IReadOnlyList<string> Networks { get; init; } = [];

    /// <summary><c>rat:6|8</c>: PDP context RAT types (up to 6).</summary>
    public IReadOnlyList<int> RatTypes { get; init; } = [];

    /// <summary><c>country:Germany|Austria</c>: country names (up to 6).</summary>
    public IReadOnlyList<string> Countries { get; init; } = [];

    /// <summary>
    /// True when the filter has no condition but a time window (<see cref="From"/>, <see cref="Until"/>), or none at
    /// all: what per-hour counts can answer. A new condition must be added here (a test sets each one in turn).
    /// </summary>
    public bool IsTimeWindowOnly =>
        Types.Count == 0 && Source is null && Severity is null && Alert is null && Description is null &&
        OrganisationName is null && UserName is null && EndpointNames.Count == 0 && Tags is null && IpAddress is null &&
        Imei is null && Iccids.Count == 0 && Imsi is null && Networks.Count == 0 && RatTypes.Count == 0 && Countries.Count == 0;
}

/// <param name="Digits">ICCID digits without the Luhn check digit.</param>
/// <param name="IsPrefix">True when shorter than a whole ICCID: matches every ICCID that starts with it.</param>
public sealed record IccidCondition(string Digits, bool IsPrefix);
