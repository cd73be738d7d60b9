namespace EventService.Api.Query;

public static class QueryExtensions
{
    /// <summary>The read path's bounds (<see cref="QueryOptions"/>), checked at startup.</summary>
    public static WebApplicationBuilder AddQueries(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<QueryOptions>().BindConfiguration(QueryOptions.Section)
            .Validate(o => o.MaxSortRows >= 1, "Query:MaxSortRows must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ListStreamingStats>();
        return builder;
    }
}
