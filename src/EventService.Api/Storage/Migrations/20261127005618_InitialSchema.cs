using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class InitialSchema : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateSequence(
                name: "event_id_seq",
                startValue: 8000000000000000L);

            migrationBuilder.CreateTable(
                name: "event_types",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    description = table.Column<string>(type: "text", nullable: false),
                    section = table.Column<string>(type: "text", nullable: true),
                    detail_schema = table.Column<string>(type: "jsonb", nullable: true),
                    built_in = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_event_types", x => x.id);
                });

            // EF Core cannot say PARTITION BY: the events table is written by hand to match the model (the model
            // snapshot still describes it, so a model change without a migration is caught). Daily partitions are
            // created by PartitionManager at startup and every day after.
            migrationBuilder.Sql(
                """
                CREATE TABLE events (
                    id bigint NOT NULL,
                    "timestamp" timestamp with time zone NOT NULL,
                    received_at timestamp with time zone NOT NULL,
                    event_type_id integer NOT NULL,
                    severity smallint NOT NULL,
                    source smallint NOT NULL,
                    alert boolean NOT NULL,
                    description text NULL,
                    organisation_id bigint NOT NULL,
                    user_id bigint NULL,
                    endpoint_id bigint NULL,
                    sim_id bigint NULL,
                    imsi_id bigint NULL,
                    iccid text NULL,
                    imsi text NULL,
                    imei text NULL,
                    ip_address text NULL,
                    entities jsonb NOT NULL,
                    detail jsonb NULL,
                    extra jsonb NULL,
                    producer_id bigint NULL,
                    CONSTRAINT pk_events PRIMARY KEY (id, "timestamp")
                ) PARTITION BY RANGE ("timestamp");
                """);

            migrationBuilder.CreateTable(
                name: "producers",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    sources = table.Column<short[]>(type: "smallint[]", nullable: false),
                    organisation_id = table.Column<long>(type: "bigint", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_producers", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "quarantine",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    producer_id = table.Column<long>(type: "bigint", nullable: true),
                    item_index = table.Column<int>(type: "integer", nullable: false),
                    event_id = table.Column<long>(type: "bigint", nullable: true),
                    errors = table.Column<string>(type: "jsonb", nullable: false),
                    payload = table.Column<string>(type: "text", nullable: false),
                    payload_truncated = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_quarantine", x => x.id);
                });

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
                name: "ix_events_imsi",
                table: "events",
                column: "imsi",
                filter: "imsi IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events",
                columns: new[] { "organisation_id", "event_type_id", "timestamp" });

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_timestamp_id",
                table: "events",
                columns: new[] { "organisation_id", "timestamp", "id" });

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

            migrationBuilder.CreateIndex(
                name: "ix_producers_token_hash",
                table: "producers",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_quarantine_received_at",
                table: "quarantine",
                column: "received_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "event_types");

            migrationBuilder.DropTable(
                name: "events");

            migrationBuilder.DropTable(
                name: "producers");

            migrationBuilder.DropTable(
                name: "quarantine");

            migrationBuilder.DropSequence(
                name: "event_id_seq");
        }
    }
}
