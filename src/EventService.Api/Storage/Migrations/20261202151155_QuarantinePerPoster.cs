using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class QuarantinePerPoster : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "organisation_id",
                table: "quarantine",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "size_bytes",
                table: "quarantine",
                type: "integer",
                nullable: false,
                computedColumnSql: "octet_length(payload) + octet_length(errors::text)",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_quarantine_organisation_id_id",
                table: "quarantine",
                columns: new[] { "organisation_id", "id" },
                filter: "organisation_id IS NOT NULL")
                .Annotation("Npgsql:IndexInclude", new[] { "size_bytes" });

            migrationBuilder.CreateIndex(
                name: "ix_quarantine_producer_id_id",
                table: "quarantine",
                columns: new[] { "producer_id", "id" },
                filter: "producer_id IS NOT NULL")
                .Annotation("Npgsql:IndexInclude", new[] { "size_bytes" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_quarantine_organisation_id_id",
                table: "quarantine");

            migrationBuilder.DropIndex(
                name: "ix_quarantine_producer_id_id",
                table: "quarantine");

            migrationBuilder.DropColumn(
                name: "size_bytes",
                table: "quarantine");

            migrationBuilder.DropColumn(
                name: "organisation_id",
                table: "quarantine");
        }
    }
}
