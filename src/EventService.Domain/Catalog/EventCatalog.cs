using System.Text.Json;

namespace EventService.Domain.Catalog;

/// <summary>
/// The event types the service accepts, with their compiled <c>detail</c> schemas.
/// Immutable: a changed catalog is a new instance.
/// </summary>
public sealed class EventCatalog
{
    public EventCatalog(IEnumerable<EventTypeDefinition> types)
    {
        throw new NotImplementedException();
    }

    public IReadOnlyList<EventTypeDefinition> Types => throw new NotImplementedException();

    /// <summary>Reads the built-in catalog document (the format of emnify's <c>event-types.json</c>).</summary>
    /// <exception cref="FormatException">The document is not a catalog.</exception>
    public static IReadOnlyList<EventTypeDefinition> ParseCatalogDocument(string json)
    {
        throw new NotImplementedException();
    }

    public bool TryGet(int typeId, out EventTypeDefinition definition)
    {
        throw new NotImplementedException();
    }

    /// <summary>
    /// Checks a <c>detail</c> object against the type's schema (unknown properties allowed).
    /// Returns field errors keyed by JSON path below <paramref name="pathPrefix"/> (e.g. <c>detail.country.id</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string[]> ValidateDetail(int typeId, JsonElement detail, string pathPrefix = "detail")
    {
        throw new NotImplementedException();
    }
}
