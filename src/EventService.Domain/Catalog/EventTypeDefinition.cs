namespace EventService.Domain.Catalog;

/// <summary>One entry of the event-type catalog.</summary>
/// <param name="DetailSchema">JSON Schema text for the type's <c>detail</c> object, or null when the shape is unknown.</param>
public sealed record EventTypeDefinition(int Id, string Description, string? Section, string? DetailSchema, bool BuiltIn);
