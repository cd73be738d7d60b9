namespace EventService.Domain.Catalog;

/// <summary>emnify's event severities; the id is authoritative, the text's casing varies between producers.</summary>
public enum EventSeverity : short
{
    Info = 0,
    Warn = 1,
    Critical = 2,
}
