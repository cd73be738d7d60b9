using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ProducerSigningSecrets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "signing_secret",
                table: "producers",
                type: "bytea",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "signing_secret",
                table: "producers");
        }
    }
}
