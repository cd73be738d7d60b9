namespace EventService.Api.Query;

public static class QueryExtensions
{
    public static WebApplicationBuilder AddEventQueries(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EventSearch>();
        return builder;
    }
}
