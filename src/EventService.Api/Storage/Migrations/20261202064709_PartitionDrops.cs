using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class PartitionDrops : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "event_partition_drops",
                columns: table => new
                {
                    table_oid = table.Column<long>(type: "bigint", nullable: false),
                    table_name = table.Column<string>(type: "text", nullable: false),
                    recorded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_event_partition_drops", x => x.table_oid);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "event_partition_drops");
        }
    }
}
