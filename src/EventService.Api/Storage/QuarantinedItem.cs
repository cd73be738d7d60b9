namespace EventService.Api.Storage;

/// <summary>A posted item that was rejected, kept with the reason so that nothing is dropped silently.</summary>
public sealed class QuarantinedItem
{
    public long Id { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public long? ProducerId { get; set; }

    /// <summary>Position of the item in its batch (0 for a single event).</summary>
    public int ItemIndex { get; set; }

    /// <summary>The event id the producer sent, when it could be read.</summary>
    public long? EventId { get; set; }

    /// <summary>jsonb: field errors keyed by JSON path.</summary>
    public string Errors { get; set; } = "{}";

    /// <summary>The item's JSON text as it came (text, not jsonb: it may hold what jsonb refuses), cut at a bound.</summary>
    public string Payload { get; set; } = "";

    public bool PayloadTruncated { get; set; }
}
