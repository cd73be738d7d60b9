namespace EventService.Domain.Queries;

/// <summary>Parses emnify's list parameters (<c>q</c>, <c>sort</c>, <c>page</c>, <c>per_page</c>) into an <see cref="EventQuery"/>. No I/O.</summary>
public static class EventQueryParser
{
    public static EventQueryResult Parse(string? q, string? sort, string? page, string? perPage)
    {
        throw new NotImplementedException();
    }
}
