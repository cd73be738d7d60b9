using EventService.Api.Storage;
using EventService.Domain.Catalog;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Catalog;

/// <summary>Seeds the built-in event types into the database and loads the catalog from it.</summary>
public sealed class CatalogStore(NpgsqlDataSource dataSource, EventsDbContext db, CatalogProvider provider)
{
    public static IReadOnlyList<EventTypeDefinition> ReadBuiltInCatalog()
    {
        using var stream = typeof(CatalogStore).Assembly.GetManifestResourceStream("EventService.Api.Catalog.event-types.json")
            ?? throw new InvalidOperationException("The built-in catalog resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return EventCatalog.ParseCatalogDocument(reader.ReadToEnd());
    }

    /// <summary>Inserts the built-in types and refreshes their text and schema; custom types are left alone.</summary>
    public async Task SeedBuiltInsAsync(CancellationToken ct)
    {
        var types = ReadBuiltInCatalog();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO event_types (id, description, section, detail_schema, built_in)
            SELECT u.id, u.description, u.section, u.detail_schema, TRUE
            FROM unnest(@ids, @descriptions, @sections, @schemas) AS u(id, description, section, detail_schema)
            ON CONFLICT (id) DO UPDATE
                SET description = excluded.description, section = excluded.section, detail_schema = excluded.detail_schema
                WHERE event_types.built_in
            """);
        command.Parameters.AddWithValue("ids", types.Select(t => t.Id).ToArray());
        command.Parameters.AddWithValue("descriptions", types.Select(t => t.Description).ToArray());
        command.Parameters.AddWithValue("sections", types.Select(t => t.Section).ToArray());
        command.Parameters.Add(new NpgsqlParameter("schemas", NpgsqlDbType.Array | NpgsqlDbType.Jsonb)
        {
            Value = types.Select(t => (object?)t.DetailSchema ?? DBNull.Value).ToArray(),
        });
        await command.ExecuteNonQueryAsync(ct);
    }

    public async Task<EventCatalog> LoadAsync(CancellationToken ct)
    {
        var rows = await db.EventTypes.AsNoTracking().OrderBy(t => t.Id).ToListAsync(ct);
        var catalog = new EventCatalog(rows.Select(r => new EventTypeDefinition(r.Id, r.Description, r.Section, r.DetailSchema, r.BuiltIn)));
        provider.Set(catalog);
        return catalog;
    }
}
