using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class EventCountsPerHour : Migration
    {
        /// <summary>The transaction-level advisory lock the counting triggers take ("EVTCTS01").</summary>
        public const long EventCountsLockKey = 0x4556_5443_5453_3031;

        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "event_counts",
                columns: table => new
                {
                    organisation_id = table.Column<long>(type: "bigint", nullable: false),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    events = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_event_counts", x => new { x.organisation_id, x.hour });
                });

            // Statement-level triggers on the partitioned table see every row a statement routed to a partition
            // (transition tables), so COPY, the unnest insert and plain SQL all keep the counts exact in their own
            // transaction. Concurrent writers of one organisation and hour queue on its row until commit anyway; a
            // transaction-level advisory lock taken first makes that one queue for all counting writers, so that
            // transactions of several INSERT statements (EF Core's batches) cannot deadlock on rows taken in
            // different orders. The service writes one statement per transaction and holds it from the end of that
            // statement to its commit. Statements aimed at a partition directly (the retention purger's) fire none
            // of these: EventSearch reads counts only for hours the purge never reaches.
            migrationBuilder.Sql(
                $$"""
                CREATE FUNCTION events_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock({{EventCountsLockKey}});
                    INSERT INTO event_counts AS c (organisation_id, hour, events)
                    SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), count(*)
                    FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
                    ON CONFLICT (organisation_id, hour) DO UPDATE SET events = c.events + excluded.events;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock({{EventCountsLockKey}});
                    INSERT INTO event_counts AS c (organisation_id, hour, events)
                    SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), -count(*)
                    FROM old_rows GROUP BY 1, 2 ORDER BY 1, 2
                    ON CONFLICT (organisation_id, hour) DO UPDATE SET events = c.events + excluded.events;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock({{EventCountsLockKey}});
                    INSERT INTO event_counts AS c (organisation_id, hour, events)
                    SELECT organisation_id, hour, sum(n) FROM (
                        SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC') AS hour, -1 AS n FROM old_rows
                        UNION ALL
                        SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), 1 FROM new_rows) changed
                    GROUP BY 1, 2 ORDER BY 1, 2
                    ON CONFLICT (organisation_id, hour) DO UPDATE SET events = c.events + excluded.events;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM event_counts;
                    RETURN NULL;
                END
                $$;

                CREATE TRIGGER events_counted_insert AFTER INSERT ON events
                    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events_counted_insert();
                CREATE TRIGGER events_counted_delete AFTER DELETE ON events
                    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION events_counted_delete();
                CREATE TRIGGER events_counted_update AFTER UPDATE ON events
                    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION events_counted_update();
                CREATE TRIGGER events_counted_truncate AFTER TRUNCATE ON events
                    FOR EACH STATEMENT EXECUTE FUNCTION events_counted_truncate();

                INSERT INTO event_counts (organisation_id, hour, events)
                SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), count(*) FROM events GROUP BY 1, 2;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql(
                """
                DROP TRIGGER events_counted_insert ON events;
                DROP TRIGGER events_counted_delete ON events;
                DROP TRIGGER events_counted_update ON events;
                DROP TRIGGER events_counted_truncate ON events;
                DROP FUNCTION events_counted_insert();
                DROP FUNCTION events_counted_delete();
                DROP FUNCTION events_counted_update();
                DROP FUNCTION events_counted_truncate();
                """);
            migrationBuilder.DropTable(
                name: "event_counts");
        }
    }
}
