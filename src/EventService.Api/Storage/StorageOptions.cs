namespace EventService.Api.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Apply EF Core migrations and seed the catalog when the service starts.</summary>
    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>How long startup waits for PostgreSQL to accept connections before giving up.</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long opening a connection, or waiting for a free one in the pool, may take before the request answers 503
    /// (Npgsql's <c>Timeout</c>; its own default is 15 seconds). Used when the connection string does not set it.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long one SQL command may run before it is cancelled (Npgsql's <c>Command Timeout</c>). Used when the
    /// connection string does not set it.
    /// </summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How far ahead of today daily partitions of the events table are created.</summary>
    public TimeSpan PartitionLeadTime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Most rows the quarantine of rejected items keeps; the oldest beyond it are removed by each retention round.</summary>
    public int QuarantineMaxRows { get; set; } = 100_000;

    /// <summary>
    /// Soft cap on the events one group commit takes: concurrent requests' events are written in one transaction
    /// until this many are gathered (a request is never split, so a group may exceed it by one request).
    /// </summary>
    public int GroupCommitMaxEvents { get; set; } = 4000;

    /// <summary>
    /// How long a group commit waits for more requests after the first one arrived, when fewer than
    /// <see cref="GroupCommitMaxEvents"/> are waiting. Zero takes just what is waiting (the previous commit's
    /// duration is then the window).
    /// </summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.Zero;

    /// <summary>How many group-commit writers run in parallel, each with its own connection and transaction.</summary>
    public int GroupCommitWriters { get; set; } = 1;

    /// <summary>
    /// Most events (valid and rejected) that ingest requests may have handed to the writers and not yet seen
    /// committed, group-committed or written on their own. A request beyond it waits for room, within its
    /// <c>Ingestion:RequestTimeout</c>; as many again may wait, and beyond that a request is answered 503 at once.
    /// </summary>
    public int WriteQueueMaxEvents { get; set; } = 40_000;

    /// <summary>The same bound in the posted JSON's bytes, so that a few large events cannot fill memory either.</summary>
    public long WriteQueueMaxBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// How long one write of the ingest path (a group commit, a direct or keyed write, all its statements and a
    /// retry together; a real timer, not the injected clock) may run before it is cancelled and its requests answer
    /// 503: short, so that an answer comes within <c>Ingestion:RequestTimeout</c>
    /// plus this even while PostgreSQL is frozen. Migrations and the purge use <see cref="CommandTimeout"/>.
    /// </summary>
    public TimeSpan WriteCommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Most writes that run on their own at once, each with a connection of its own: large requests
    /// (<see cref="DirectWriteMinEvents"/>) and requests with an Idempotency-Key or a webhook-id. More wait within
    /// their deadline, so that they cannot take the pool the group commit and the reads need.
    /// </summary>
    public int MaxWritesAlone { get; set; } = 16;

    /// <summary>
    /// How often the hourly count deltas appended by every write are folded into <c>event_counts</c>. Counts are exact
    /// either way; the deltas waiting make an organisation's X-Total-Count slower to sum.
    /// </summary>
    public TimeSpan CountsCompactionInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Requests with at least this many events (valid and rejected) skip the group commit and write in a transaction of their own.</summary>
    public int DirectWriteMinEvents { get; set; } = 1000;

    /// <summary>
    /// Most quarantined items one poster (a producer credential, or an organisation posting with its own auth token)
    /// keeps; its oldest beyond it are removed by its own writes, so a flood from one poster evicts only its own items.
    /// </summary>
    public int QuarantineMaxRowsPerPoster { get; set; } = 10_000;

    /// <summary>Most bytes (payload and errors) of one poster's quarantined items; its oldest beyond it are removed by its own writes.</summary>
    public long QuarantineMaxBytesPerPoster { get; set; } = 64L * 1024 * 1024;
}
