using EventService.Domain.Catalog;

namespace EventService.Api.Catalog;

/// <summary>The catalog in force, loaded from the database at startup; swapped whole when it changes.</summary>
public sealed class CatalogProvider
{
    private EventCatalog? current;

    public EventCatalog Current => Volatile.Read(ref current)
        ?? throw new InvalidOperationException("The event-type catalog has not been loaded yet.");

    public void Set(EventCatalog catalog) => Volatile.Write(ref current, catalog);
}
