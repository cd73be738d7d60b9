namespace EventService.Api.Ingestion;

public static class IngestionExtensions
{
    public static WebApplicationBuilder AddIngestion(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IngestionOptions>().BindConfiguration(IngestionOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.MaxFutureSkew >= TimeSpan.Zero && o.MaxFutureSkew <= TimeSpan.FromDays(1),
                "Ingestion:MaxFutureSkew must lie between 00:00:00 and 1.00:00:00.")
            .Validate(o => o.RequestTimeout >= TimeSpan.FromSeconds(1) && o.RequestTimeout <= TimeSpan.FromMinutes(10),
                "Ingestion:RequestTimeout must lie between 00:00:01 and 00:10:00.")
            .Validate(o => o.MinBodyDataRateGracePeriod > TimeSpan.FromSeconds(1) && o.MinBodyDataRateGracePeriod <= TimeSpan.FromMinutes(10),
                "Ingestion:MinBodyDataRateGracePeriod must be more than 00:00:01 and at most 00:10:00.")
            .Validate(o => o.BodyReadTimeout >= TimeSpan.FromSeconds(1) && o.BodyReadTimeout <= TimeSpan.FromHours(1),
                "Ingestion:BodyReadTimeout must lie between 00:00:01 and 01:00:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IngestionService>();
        return builder.AddIdempotency();
    }
}
