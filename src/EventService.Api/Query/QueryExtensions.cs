namespace EventService.Api.Query;

public static class QueryExtensions
{
    /// <summary>The read path's bounds (<see cref="QueryOptions"/>), checked at startup.</summary>
    public static WebApplicationBuilder AddQueries(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section)
            .Validate(o => o.StatementTimeout >= TimeSpan.FromMilliseconds(100) && o.StatementTimeout <= TimeSpan.FromMinutes(10),
                "Query:StatementTimeout must lie between 00:00:00.1 and 00:10:00.")
            .Validate(o => o.MaxSortRows >= 1, "Query:MaxSortRows must be positive.")
            .Validate(o => o.MaxConcurrentRequestsPerOrganisation >= 1 && o.QueuedRequestsPerOrganisation >= 0,
                "Query:MaxConcurrentRequestsPerOrganisation must be positive and Query:QueuedRequestsPerOrganisation not negative.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ListStreamingStats>();
        return builder;
    }
}
