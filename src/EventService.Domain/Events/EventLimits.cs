namespace EventService.Domain.Events;

/// <summary>Bounds on one event's shape; crossing one is a field error, never a crash.</summary>
public sealed record EventLimits
{
    /// <summary>Deepest nesting of objects and arrays inside one event (the event object itself is depth 1).</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>Longest string value or property name, in UTF-16 code units.</summary>
    public int MaxStringLength { get; init; } = 4096;

    /// <summary>
    /// Most properties and array elements (counted at every depth) in <c>detail</c> and in the unknown properties
    /// together: those at the top level and those inside emnify's objects (<c>organisation</c>, <c>sim</c>, ...).
    /// </summary>
    public int MaxCustomProperties { get; init; } = 512;

    /// <summary>Largest event, in bytes of its JSON as posted (UTF-8, whitespace included).</summary>
    public int MaxEventBytes { get; init; } = 64 * 1024;

    public static EventLimits Default { get; } = new();
}
