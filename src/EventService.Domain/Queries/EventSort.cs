namespace EventService.Domain.Queries;

/// <summary>emnify's sort fields.</summary>
public enum SortField
{
    Id,
    Timestamp,
    Source,
    Severity,
    Alert,
    Organisation,
    User,
    Endpoint,
    Tags,
    IpAddress,
    Iccid,
    Imsi,
    Type,
}

public sealed record SortKey(SortField Field, bool Descending);
