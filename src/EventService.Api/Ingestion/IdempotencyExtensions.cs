using EventService.Api.Auth;

namespace EventService.Api.Ingestion;

public static class IdempotencyExtensions
{
    public static WebApplicationBuilder AddIdempotency(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdempotencyOptions>().BindConfiguration(IdempotencyOptions.Section)
            .Validate(o => o.KeyLifetime >= TimeSpan.FromMinutes(1) && o.KeyLifetime <= TimeSpan.FromDays(30),
                "Idempotency:KeyLifetime must lie between 00:01:00 and 30.00:00:00.")
            .Validate(o => o.WebhookIdLifetime >= 2 * WebhookSignature.Tolerance && o.WebhookIdLifetime <= TimeSpan.FromDays(30),
                "Idempotency:WebhookIdLifetime must be at least twice the signature tolerance (00:10:00) and at most 30.00:00:00.")
            .Validate(o => o.MaxAnswerBytes is >= 64 * 1024 and <= 64 * 1024 * 1024,
                "Idempotency:MaxAnswerBytes must lie between 65536 and 67108864.")
            .Validate(o => o.CleanupInterval >= TimeSpan.FromSeconds(1) && o.CleanupInterval <= TimeSpan.FromDays(1),
                "Idempotency:CleanupInterval must lie between 00:00:01 and 1.00:00:00.")
            .Validate(o => o.CleanupBatchSize is >= 1 and <= 1_000_000, "Idempotency:CleanupBatchSize must lie between 1 and 1000000.")
            .ValidateOnStart();
        builder.Services.AddSingleton<Idempotency>();
        builder.Services.AddSingleton<IdempotencyCleanup>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IdempotencyCleanup>());
        return builder;
    }
}
