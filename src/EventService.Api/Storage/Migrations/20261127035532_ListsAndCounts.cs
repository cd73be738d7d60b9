using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ListsAndCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_events",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_endpoint_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_iccid",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_sim_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_user_id_timestamp",
                table: "events");

            migrationBuilder.AddPrimaryKey(
                name: "pk_events",
                table: "events",
                columns: new[] { "organisation_id", "id", "timestamp" });

            migrationBuilder.CreateTable(
                name: "event_count_deltas",
                columns: table => new
                {
                    organisation_id = table.Column<long>(type: "bigint", nullable: false),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    events = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                });

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

            migrationBuilder.CreateIndex(
                name: "ix_events_endpoint_id_organisation_id_id_timestamp",
                table: "events",
                columns: new[] { "endpoint_id", "organisation_id", "id", "timestamp" },
                filter: "endpoint_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_iccid_organisation_id",
                table: "events",
                columns: new[] { "iccid", "organisation_id" },
                filter: "iccid IS NOT NULL")
                .Annotation("Npgsql:IndexInclude", new[] { "id", "timestamp" })
                .Annotation("Npgsql:IndexOperators", new[] { "text_pattern_ops", "int8_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events",
                columns: new[] { "organisation_id", "event_type_id", "timestamp" })
                .Annotation("Npgsql:IndexInclude", new[] { "severity" });

            migrationBuilder.CreateIndex(
                name: "ix_events_sim_id_organisation_id_id_timestamp",
                table: "events",
                columns: new[] { "sim_id", "organisation_id", "id", "timestamp" },
                filter: "sim_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_user_id_organisation_id_id_timestamp",
                table: "events",
                columns: new[] { "user_id", "organisation_id", "id", "timestamp" },
                filter: "user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_event_count_deltas_organisation_id_hour",
                table: "event_count_deltas",
                columns: new[] { "organisation_id", "hour" });

            // Statement-level triggers on the partitioned table see every row a statement routed to a partition
            // (transition tables), so COPY, the unnest insert and plain SQL all keep the counts exact in their own
            // transaction. They append deltas, which takes no row lock: concurrent writers never queue behind each
            // other's commits here (upserting one row per organisation and hour did, and made concurrent one-row
            // transactions commit one at a time). EventCountsCompactor folds the deltas into event_counts.
            // Statements aimed at a partition directly (the retention purger's) fire none of these: EventSearch
            // reads counts only for hours the purge never reaches.
            migrationBuilder.Sql(
                """
                CREATE FUNCTION events_counted_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO event_count_deltas (organisation_id, hour, events)
                    SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), count(*) FROM new_rows GROUP BY 1, 2;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_delete() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO event_count_deltas (organisation_id, hour, events)
                    SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), -count(*) FROM old_rows GROUP BY 1, 2;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_update() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO event_count_deltas (organisation_id, hour, events)
                    SELECT organisation_id, hour, sum(n) FROM (
                        SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC') AS hour, -1 AS n FROM old_rows
                        UNION ALL
                        SELECT organisation_id, date_trunc('hour', "timestamp", 'UTC'), 1 FROM new_rows) changed
                    GROUP BY 1, 2 HAVING sum(n) <> 0;
                    RETURN NULL;
                END
                $$;

                CREATE FUNCTION events_counted_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    DELETE FROM event_counts;
                    DELETE FROM event_count_deltas;
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
                name: "event_count_deltas");

            migrationBuilder.DropTable(
                name: "event_counts");

            migrationBuilder.DropPrimaryKey(
                name: "pk_events",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_endpoint_id_organisation_id_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_iccid_organisation_id",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_sim_id_organisation_id_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_user_id_organisation_id_id_timestamp",
                table: "events");

            migrationBuilder.AddPrimaryKey(
                name: "pk_events",
                table: "events",
                columns: new[] { "id", "timestamp", "organisation_id" });

            migrationBuilder.CreateIndex(
                name: "ix_events_endpoint_id_timestamp",
                table: "events",
                columns: new[] { "endpoint_id", "timestamp" },
                filter: "endpoint_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_iccid",
                table: "events",
                column: "iccid",
                filter: "iccid IS NOT NULL")
                .Annotation("Npgsql:IndexOperators", new[] { "text_pattern_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events",
                columns: new[] { "organisation_id", "event_type_id", "timestamp" });

            migrationBuilder.CreateIndex(
                name: "ix_events_sim_id_timestamp",
                table: "events",
                columns: new[] { "sim_id", "timestamp" },
                filter: "sim_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_user_id_timestamp",
                table: "events",
                columns: new[] { "user_id", "timestamp" },
                filter: "user_id IS NOT NULL");
        }
    }
}
