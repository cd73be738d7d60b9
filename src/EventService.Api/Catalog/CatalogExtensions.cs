namespace EventService.Api.Catalog;

public static class CatalogExtensions
{
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CatalogProvider>();
        builder.Services.AddScoped<CatalogStore>();
        return builder;
    }
}
