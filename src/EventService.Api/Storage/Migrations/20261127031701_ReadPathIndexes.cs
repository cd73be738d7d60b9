using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ReadPathIndexes : Migration
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
                name: "ix_events_sim_id_timestamp",
                table: "events");

            migrationBuilder.DropIndex(
                name: "ix_events_user_id_timestamp",
                table: "events");

            migrationBuilder.AddPrimaryKey(
                name: "pk_events",
                table: "events",
                columns: new[] { "organisation_id", "id", "timestamp" });

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
                name: "ix_events_sim_id_organisation_id_id_timestamp",
                table: "events",
                columns: new[] { "sim_id", "organisation_id", "id", "timestamp" },
                filter: "sim_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_events_user_id_organisation_id_id_timestamp",
                table: "events",
                columns: new[] { "user_id", "organisation_id", "id", "timestamp" },
                filter: "user_id IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
