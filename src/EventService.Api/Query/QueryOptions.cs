namespace EventService.Api.Query;

/// <summary>What one list request may cost (<c>Query:*</c>): the bounds of the read path.</summary>
public sealed class QueryOptions
{
    public const string Section = "Query";

    /// <summary>
    /// PostgreSQL's <c>statement_timeout</c> on the read pool: a list statement running longer is cancelled and the
    /// request answers 503 <c>query-timeout</c>, which names this limit and asks for a narrower filter or a time window.
    /// </summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most matching rows a list may sort by a field without an index (anything but id and timestamp); more is a
    /// 422 <c>sort-too-large</c> asking for a narrower filter.
    /// </summary>
    public long MaxSortRows { get; set; } = 100_000;

    /// <summary>List requests one organisation may have running at once (all its tokens together).</summary>
    public int MaxConcurrentRequestsPerOrganisation { get; set; } = 4;

    /// <summary>List requests of one organisation that may wait for one of those places; beyond them a request is a 429 with Retry-After.</summary>
    public int QueuedRequestsPerOrganisation { get; set; } = 8;
}
