namespace EventService.Api.Storage;

/// <summary>One event type of the catalog; built-in rows are seeded from <c>Catalog/event-types.json</c>.</summary>
public sealed class EventTypeRow
{
    public int Id { get; set; }

    public required string Description { get; set; }

    public string? Section { get; set; }

    /// <summary>jsonb: JSON Schema of the type's <c>detail</c>, or null.</summary>
    public string? DetailSchema { get; set; }

    public bool BuiltIn { get; set; }
}
