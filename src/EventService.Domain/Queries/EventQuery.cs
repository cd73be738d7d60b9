namespace EventService.Domain.Queries;

/// <summary>A parsed list request: filter, sort order and page, with the canonical texts for the response headers.</summary>
/// <param name="Filter">The typed <c>q</c>.</param>
/// <param name="Sort">Sort keys in order (default: id ascending).</param>
/// <param name="Page">1-based requested page (below 1 already made 1; clamping to the last page needs the total count).</param>
/// <param name="PerPage">Page size after defaulting and clamping.</param>
/// <param name="FilterText">The applied q as given (for <c>X-Filter</c> and links); empty when none.</param>
/// <param name="SortText">The applied sort (for <c>X-Sort</c> and links), e.g. <c>-timestamp,id</c>.</param>
public sealed record EventQuery(EventFilter Filter, IReadOnlyList<SortKey> Sort, int Page, int PerPage, string FilterText, string SortText)
{
    public const int DefaultPerPage = 100;
    public const int MaxPerPage = 1000;
    public const int MaxOrValues = 6;
}

public enum QueryErrorKind
{
    /// <summary>A malformed or unknown part of <c>q</c>: 422.</summary>
    Filter,

    /// <summary>An unknown sort field or malformed sort: 400.</summary>
    Sort,

    /// <summary>A page or per_page that is not an integer: 400.</summary>
    Paging,
}

/// <param name="Parameter">The query parameter (<c>q</c>, <c>sort</c>, <c>page</c>, <c>per_page</c>).</param>
/// <param name="Message">Names the bad part, e.g. <c>unknown field 'colour' in 'colour:red'</c>.</param>
public sealed record QueryError(QueryErrorKind Kind, string Parameter, string Message);

/// <summary>Either a query or the errors that stop it.</summary>
public sealed record EventQueryResult(EventQuery? Query, IReadOnlyList<QueryError> Errors)
{
    public bool IsValid => Query is not null;
}
