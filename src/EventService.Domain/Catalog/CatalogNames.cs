namespace EventService.Domain.Catalog;

/// <summary>Canonical descriptions of severities and sources, and the tolerant reading of producers' text.</summary>
public static class CatalogNames
{
    public static string Describe(EventSeverity severity) => severity switch
    {
        EventSeverity.Info => "Info",
        EventSeverity.Warn => "Warn",
        EventSeverity.Critical => "Critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    public static string Describe(EventSource source) => source switch
    {
        EventSource.Network => "Network",
        EventSource.PolicyControl => "Policy Control",
        EventSource.Api => "API",
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    public static bool IsKnown(EventSeverity severity) => Enum.IsDefined(severity);

    public static bool IsKnown(EventSource source) => Enum.IsDefined(source);

    /// <summary>Reads "Info", "WARN", "warning", "critical" and the like, case-insensitively.</summary>
    public static bool TryParseSeverity(string? text, out EventSeverity severity)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "INFO": severity = EventSeverity.Info; return true;
            case "WARN" or "WARNING": severity = EventSeverity.Warn; return true;
            case "CRITICAL": severity = EventSeverity.Critical; return true;
            default: severity = default; return false;
        }
    }

    /// <summary>Reads "Network", "policy control", "Policy_Control", "API" and the like, case-insensitively.</summary>
    public static bool TryParseSource(string? text, out EventSource source)
    {
        switch (text?.Trim().Replace('_', ' ').ToUpperInvariant())
        {
            case "NETWORK": source = EventSource.Network; return true;
            case "POLICY CONTROL" or "POLICYCONTROL": source = EventSource.PolicyControl; return true;
            case "API": source = EventSource.Api; return true;
            default: source = default; return false;
        }
    }
}
