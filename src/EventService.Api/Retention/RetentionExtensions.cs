namespace EventService.Api.Retention;

public static class RetentionExtensions
{
    public static WebApplicationBuilder AddRetention(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section)
            .Validate(o => o.Interval >= TimeSpan.FromMinutes(1), "Retention:Interval must be at least a minute (00:01:00).")
            .Validate(o => o.DeleteBatchSize is >= 1 and <= 1_000_000, "Retention:DeleteBatchSize must lie between 1 and 1000000.")
            .Validate(o => o.LockTimeout >= TimeSpan.FromMilliseconds(1) && o.LockTimeout <= TimeSpan.FromMinutes(1),
                "Retention:LockTimeout must lie between 00:00:00.001 and 00:01:00.")
            .Validate(o => o.PlainDetachLockTimeout >= TimeSpan.FromMilliseconds(1) && o.PlainDetachLockTimeout <= TimeSpan.FromSeconds(10),
                "Retention:PlainDetachLockTimeout must lie between 00:00:00.001 and 00:00:10.")
            .Validate(o => o.MaxClockSkew >= TimeSpan.FromSeconds(1) && o.MaxClockSkew <= TimeSpan.FromHours(1),
                "Retention:MaxClockSkew must lie between 00:00:01 and 01:00:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<RetentionPurger>();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService(services => services.GetRequiredService<RetentionJob>());
        return builder;
    }
}
