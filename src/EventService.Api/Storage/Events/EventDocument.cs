using System.Text.Json.Nodes;

namespace EventService.Api.Storage.Events;

// Documentation only: events are written by EventJson, and this record gives Swagger their shape.
#pragma warning disable CS1591

/// <summary>An event in emnify's shape. Unknown extra properties a producer sent appear beside these, as they came.</summary>
public sealed record EventDocument(
    long Id,
    string Timestamp,
    bool Alert,
    string? Description,
    IdDescription EventType,
    IdDescription EventSource,
    IdDescription EventSeverity,
    JsonObject Organisation,
    JsonObject? User,
    JsonObject? Endpoint,
    JsonObject? Sim,
    JsonObject? Imsi,
    JsonObject? Detail);

/// <summary>A catalog reference with its canonical text.</summary>
public sealed record IdDescription(int Id, string Description);
