using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace EventService.Api.Storage.Migrations
{
    /// <inheritdoc />
    public partial class ReadApi : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "country",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "endpoint_name",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "network",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<short>(
                name: "rat_type",
                table: "events",
                type: "smallint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "tags",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "user_name",
                table: "events",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "organisations",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organisations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "application_tokens",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    organisation_id = table.Column<long>(type: "bigint", nullable: false),
                    description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    token_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_application_tokens", x => x.id);
                    table.ForeignKey(
                        name: "fk_application_tokens_organisations_organisation_id",
                        column: x => x.organisation_id,
                        principalTable: "organisations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_application_tokens_organisation_id",
                table: "application_tokens",
                column: "organisation_id");

            migrationBuilder.CreateIndex(
                name: "ix_application_tokens_token_hash",
                table: "application_tokens",
                column: "token_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "application_tokens");

            migrationBuilder.DropTable(
                name: "organisations");

            migrationBuilder.DropColumn(
                name: "country",
                table: "events");

            migrationBuilder.DropColumn(
                name: "endpoint_name",
                table: "events");

            migrationBuilder.DropColumn(
                name: "network",
                table: "events");

            migrationBuilder.DropColumn(
                name: "rat_type",
                table: "events");

            migrationBuilder.DropColumn(
                name: "tags",
                table: "events");

            migrationBuilder.DropColumn(
                name: "user_name",
                table: "events");
        }
    }
}
