namespace EventService.Api.Query;

/// <summary>What one list request may cost (<c>Query:*</c>): the bounds of the read path.</summary>
public sealed class QueryOptions
{
    public const string Section = "Query";

    /// <summary>
    /// Most matching rows a list may sort by a field without an index (anything but id and timestamp); more is a
    /// 422 <c>sort-too-large</c> asking for a narrower filter.
    /// </summary>
    public long MaxSortRows { get; set; } = 100_000;
}
