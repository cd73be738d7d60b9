namespace EventService.Api.Storage.Events;

/// <summary>
/// A row of <c>event_partition_drops</c>: a partition the purge is about to detach and drop. A detached table has no
/// bounds any more, so this record, not its name, is what lets a later round finish a drop a crash interrupted.
/// </summary>
public sealed class PartitionDrop
{
    public long TableOid { get; set; }

    /// <summary>The table's name as PostgreSQL quotes it; a drop goes ahead only while oid and name still agree.</summary>
    public string TableName { get; set; } = "";

    public DateTimeOffset RecordedAt { get; set; }
}
