using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class RetentionSettings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "purge_blocked",
                table: "retention_runs",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "retention_settings",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    period = table.Column<TimeSpan>(type: "interval", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_retention_settings", x => x.id);
                    table.CheckConstraint("ck_retention_settings_one_row", "id = 1");
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "retention_settings");

            migrationBuilder.DropColumn(
                name: "purge_blocked",
                table: "retention_runs");
        }
    }
}
