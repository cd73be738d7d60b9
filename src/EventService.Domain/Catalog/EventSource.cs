namespace EventService.Domain.Catalog;

/// <summary>emnify's event sources.</summary>
public enum EventSource : short
{
    Network = 0,
    PolicyControl = 1,
    Api = 2,
}
