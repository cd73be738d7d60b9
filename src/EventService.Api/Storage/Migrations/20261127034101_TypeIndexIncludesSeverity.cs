using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class TypeIndexIncludesSeverity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events");

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events",
                columns: new[] { "organisation_id", "event_type_id", "timestamp" })
                .Annotation("Npgsql:IndexInclude", new[] { "severity" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events");

            migrationBuilder.CreateIndex(
                name: "ix_events_organisation_id_event_type_id_timestamp",
                table: "events",
                columns: new[] { "organisation_id", "event_type_id", "timestamp" });
        }
    }
}
