using EventService.Api.Storage.Events;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Storage;

public sealed class EventsDbContext(DbContextOptions<EventsDbContext> options) : DbContext(options)
{
    public DbSet<StoredEvent> Events => Set<StoredEvent>();

    public DbSet<EventTypeRow> EventTypes => Set<EventTypeRow>();

    public DbSet<ProducerCredential> Producers => Set<ProducerCredential>();

    public DbSet<QuarantinedItem> Quarantine => Set<QuarantinedItem>();

    public DbSet<Organisation> Organisations => Set<Organisation>();

    public DbSet<ApplicationToken> ApplicationTokens => Set<ApplicationToken>();

    public DbSet<RetentionRun> RetentionRuns => Set<RetentionRun>();

    public DbSet<RetentionSetting> RetentionSettings => Set<RetentionSetting>();

    public DbSet<EventCount> EventCounts => Set<EventCount>();

    public DbSet<EventCountDelta> EventCountDeltas => Set<EventCountDelta>();

    public DbSet<PartitionDrop> PartitionDrops => Set<PartitionDrop>();

    public DbSet<IdempotencyRecord> IdempotencyKeys => Set<IdempotencyRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasSequence<long>(EventTable.IdSequence).StartsAt(EventTable.FirstAssignedId);

        modelBuilder.Entity<StoredEvent>(e =>
        {
            // The EF model of the events table, for migrations; rows are written and read through EventTable's column
            // map. The table is range-partitioned by day on timestamp (see the initial migration), so the partition
            // key is part of the primary key.
            e.ToTable(EventTable.Name);
            // An event is one organisation's: the same producer id and timestamp in two organisations are two events,
            // so that no organisation learns from a duplicate answer that another has an event.
            // Organisation first: the key also serves the default list order (id) of one organisation and, being
            // covering for (id, timestamp), the index-only walk to a deep page.
            e.HasKey(x => new { x.OrganisationId, x.Id, x.Timestamp });
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Entities).HasColumnType("jsonb");
            e.Property(x => x.Detail).HasColumnType("jsonb");
            e.Property(x => x.Extra).HasColumnType("jsonb");
            e.HasIndex(x => new { x.OrganisationId, x.Timestamp, x.Id });
            // Severity rides along, so that a count by type, severity and time window reads the index alone.
            e.HasIndex(x => new { x.OrganisationId, x.EventTypeId, x.Timestamp }).IncludeProperties(x => x.Severity);
            // A device's, SIM's or user's list: in id order without a sort, and counted from the index alone.
            e.HasIndex(x => new { x.EndpointId, x.OrganisationId, x.Id, x.Timestamp }).HasFilter("endpoint_id IS NOT NULL");
            e.HasIndex(x => new { x.SimId, x.OrganisationId, x.Id, x.Timestamp }).HasFilter("sim_id IS NOT NULL");
            e.HasIndex(x => new { x.UserId, x.OrganisationId, x.Id, x.Timestamp }).HasFilter("user_id IS NOT NULL");
            // ICCID prefixes as ranges; the organisation and key ride along so counts and page keys need no heap.
            e.HasIndex(x => new { x.Iccid, x.OrganisationId }).HasOperators("text_pattern_ops", "int8_ops")
                .IncludeProperties(x => new { x.Id, x.Timestamp }).HasFilter("iccid IS NOT NULL");
            e.HasIndex(x => x.Imsi).HasFilter("imsi IS NOT NULL");
        });

        modelBuilder.Entity<EventTypeRow>(e =>
        {
            e.ToTable("event_types");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.DetailSchema).HasColumnType("jsonb");
        });

        modelBuilder.Entity<ProducerCredential>(e =>
        {
            e.ToTable("producers");
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.Property(x => x.Name).HasMaxLength(200);
        });

        modelBuilder.Entity<Organisation>(e =>
        {
            e.ToTable("organisations");
            e.Property(x => x.Id).ValueGeneratedNever();
        });

        modelBuilder.Entity<ApplicationToken>(e =>
        {
            e.ToTable("application_tokens");
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.OrganisationId);
            e.HasOne<Organisation>().WithMany().HasForeignKey(x => x.OrganisationId);
            e.Property(x => x.Description).HasMaxLength(500);
        });

        modelBuilder.Entity<QuarantinedItem>(e =>
        {
            e.ToTable("quarantine");
            e.Property(x => x.Errors).HasColumnType("jsonb");
            e.Property(x => x.SizeBytes).HasComputedColumnSql("octet_length(payload) + octet_length(errors::text)", stored: true);
            e.HasIndex(x => x.ReceivedAt);
            // Each poster's newest items first, with their sizes, so that its trim reads the index alone (QuarantineTrimmer).
            e.HasIndex(x => new { x.ProducerId, x.Id }).IncludeProperties(x => x.SizeBytes).HasFilter("producer_id IS NOT NULL");
            e.HasIndex(x => new { x.OrganisationId, x.Id }).IncludeProperties(x => x.SizeBytes).HasFilter("organisation_id IS NOT NULL");
        });

        modelBuilder.Entity<RetentionRun>(e =>
        {
            e.ToTable("retention_runs");
            e.Property(x => x.Id).ValueGeneratedNever();
        });

        modelBuilder.Entity<RetentionSetting>(e =>
        {
            // Read and written by RetentionWindow only.
            e.ToTable("retention_settings");
            e.Property(x => x.Id).ValueGeneratedNever();
            e.ToTable(t => t.HasCheckConstraint("ck_retention_settings_one_row", "id = 1"));
        });

        modelBuilder.Entity<EventCount>(e =>
        {
            // Written only by EventCountsCompactor; read by EventSearch with the deltas not yet folded in (see EventCounts).
            e.ToTable("event_counts");
            e.HasKey(x => new { x.OrganisationId, x.Hour });
        });

        modelBuilder.Entity<EventCountDelta>(e =>
        {
            // Appended by the triggers on events (migration ListsAndCounts), folded away by EventCountsCompactor.
            e.ToTable("event_count_deltas");
            e.HasNoKey();
            e.HasIndex(x => new { x.OrganisationId, x.Hour });
        });

        modelBuilder.Entity<PartitionDrop>(e =>
        {
            // Written by the purge before each detach, removed after each drop (see EventPartitions).
            e.ToTable("event_partition_drops");
            e.HasKey(x => x.TableOid);
            e.Property(x => x.TableOid).ValueGeneratedNever();
        });

        modelBuilder.Entity<IdempotencyRecord>(e =>
        {
            // Claimed, answered and deleted by IdempotencyKeys; the key decides which of two concurrent requests writes.
            e.ToTable(Storage.IdempotencyKeys.Name);
            e.HasKey(x => new { x.Scope, x.Kind, x.KeyHash });
            e.HasIndex(x => x.ExpiresAt);
        });
    }
}
