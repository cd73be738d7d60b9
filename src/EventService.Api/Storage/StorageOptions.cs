namespace EventService.Api.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Apply EF Core migrations and seed the catalog when the service starts.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>How long startup waits for PostgreSQL to accept connections before giving up.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How far ahead of today daily partitions of the events table are created.</summary>
    public TimeSpan PartitionLeadTime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Most rows the quarantine of rejected items keeps; the oldest beyond it are removed by each retention round.</summary>
    public int QuarantineMaxRows { get; set; } = 100_000;
}
