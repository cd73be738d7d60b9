using EventService.Api.Storage;
using Microsoft.Extensions.Options;

namespace EventService.Api.Catalog;

public static partial class CatalogExtensions
{
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CatalogProvider>();
        builder.Services.AddScoped<CatalogStore>();
        return builder;
    }

    /// <summary>
    /// Before the service takes requests, once the database is initialised: seeds the built-in types (where the
    /// schema is migrated at startup, the seed belongs to it) and loads the catalog.
    /// </summary>
    public static async Task InitializeCatalogAsync(this WebApplication app, CancellationToken ct = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<CatalogStore>();
        if (app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.MigrateOnStartup)
        {
            await store.SeedBuiltInsAsync(ct);
        }

        var loaded = await store.LoadAsync(ct);
        LogLoaded(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EventService.Api.Catalog"), loaded.Types.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog loaded: {Types} event types")]
    private static partial void LogLoaded(ILogger logger, int types);
}
