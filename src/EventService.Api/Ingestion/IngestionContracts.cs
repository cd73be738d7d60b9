using System.Text.Json.Serialization;

namespace EventService.Api.Ingestion;

/// <summary>The answer to a posted array: counts, and what became of each item in order.</summary>
public sealed record BatchResponse(int Accepted, int Duplicates, int Rejected, IReadOnlyList<BatchItemResult> Results);

/// <summary>One item of a posted array.</summary>
/// <param name="Index">Position in the posted array, from 0.</param>
/// <param name="Id">The event's id (the producer's, or the one assigned); null when a rejected item had none.</param>
/// <param name="Status"><c>accepted</c>, <c>duplicate</c> (same id and timestamp already stored) or <c>rejected</c>.</param>
/// <param name="Errors">For a rejected item: messages keyed by JSON path inside the item.</param>
public sealed record BatchItemResult(
    int Index,
    long? Id,
    string Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string[]>? Errors);
