using System.Text.Json.Nodes;
using EventService.Api.Catalog;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using EventService.Api.Tests.Infrastructure;
using EventService.Domain.Catalog;
using EventService.Domain.Events;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Storage;

/// <summary>
/// The guard of the one column map: the table, the EF model, the view that reads return, and the insert must agree with
/// <see cref="EventTable.Columns"/>. A column added in one place and not the others fails here.
/// </summary>
public sealed class EventColumnMapTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly Dictionary<NpgsqlDbType, string> PostgresTypes = new()
    {
        [NpgsqlDbType.Bigint] = "int8", [NpgsqlDbType.Integer] = "int4", [NpgsqlDbType.Smallint] = "int2",
        [NpgsqlDbType.Boolean] = "bool", [NpgsqlDbType.Text] = "text", [NpgsqlDbType.Jsonb] = "jsonb",
        [NpgsqlDbType.TimestampTz] = "timestamptz",
    };

    [Fact]
    public async Task The_map_names_every_column_of_the_table_with_its_type()
    {
        var table = new List<string>();
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT column_name, udt_name, is_nullable FROM information_schema.columns WHERE table_name = 'events' AND table_schema = current_schema() ORDER BY column_name",
            connection);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                // A reference type's nullability is not in its runtime type: only value types' nullability is compared.
                var text = reader.GetString(1) is "text" or "jsonb";
                table.Add($"{reader.GetString(0)} {reader.GetString(1)}{(text ? "" : reader.GetString(2) == "YES" ? " null" : " not null")}");
            }
        }

        var map = EventTable.Columns
            .Select(c => $"{c.Name} {PostgresTypes[c.Type]}{(!c.ClrType.IsValueType ? "" : Nullable.GetUnderlyingType(c.ClrType) is not null && c.WhenNull is null ? " null" : " not null")}")
            .Order(StringComparer.Ordinal);

        Assert.Equal(table, map);
    }

    [Fact]
    public void The_map_and_the_ef_model_of_the_table_agree()
    {
        var model = Fixture.WithDb(db =>
        {
            var entity = db.Model.FindEntityType(typeof(StoredEvent))!;
            var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(EventTable.Name);
            return entity.GetProperties().Select(p => $"{p.GetColumnName(store)} {Underlying(p.ClrType).Name}").Order(StringComparer.Ordinal).ToList();
        });

        Assert.Equal(model, EventTable.Columns.Select(c => $"{c.Name} {Underlying(c.ClrType).Name}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_view_holds_the_returned_columns_in_map_order()
    {
        var parameters = typeof(EventView).GetConstructors().Single().GetParameters();

        Assert.Equal(
            EventTable.Returned.Select(c => $"{c.Name} {Underlying(c.ClrType).Name}"),
            parameters.Select(p => $"{SnakeCase(p.Name!)} {Underlying(p.ParameterType).Name}"));
    }

    [Fact]
    public async Task The_insert_writes_every_mapped_value_and_a_read_returns_what_the_post_answer_shows()
    {
        var e = new ValidatedEvent(
            4242, ApiFixture.Start.AddHours(-2), 3, EventSeverity.Warn, EventSource.PolicyControl, true, "every field set",
            4711, "Acme Fleet", 11, 12, 13, 14, "8988303000000012345", "901430000012345", "356938035643809", "100.64.1.2",
            """{"organisation":{"id":4711,"name":"Acme Fleet"},"endpoint":{"id":12,"name":"truck-1"}}""",
            """{"pdp_context":{"rat_type":6},"country":{"name":"Germany"}}""", """{"custom":[1,2]}""")
        {
            UserName = "Dana Ops", EndpointName = "truck-1", Tags = "fleet,eu", Network = "Telekom", Country = "Germany", RatType = 6,
        };
        var row = new NewEvent(e, e.Id, ApiFixture.Start, null);
        var writer = Fixture.Factory.Services.GetRequiredService<EventWriter>();

        var outcome = await writer.WriteAsync([e], [], null, ApiFixture.Start, CancellationToken.None);

        Assert.Equal(new WriteOutcome(4242, true), outcome.Single());
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand($"SELECT {EventTable.ColumnList} FROM events", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            Assert.True(await reader.ReadAsync());
            for (var i = 0; i < EventTable.Columns.Count; i++)
            {
                var column = EventTable.Columns[i];
                var expected = column.Value(row);
                var actual = column.Read(reader, i);
                if (column.Type == NpgsqlDbType.Jsonb)
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse((string)expected!), JsonNode.Parse((string)actual!)), column.Name);
                }
                else
                {
                    Assert.Equal(expected, actual);
                }
            }
        }

        var read = await Fixture.Factory.Services.GetRequiredService<EventSearch>().FindAsync(4711, 4242, e.Timestamp, CancellationToken.None);
        var catalog = Fixture.Factory.Services.GetRequiredService<CatalogProvider>().Current;
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse(EventJson.Serialize(EventTable.View(e, 4242), catalog)),
            JsonNode.Parse(EventJson.Serialize(read!, catalog))));
    }

    private static Type Underlying(Type t) => Nullable.GetUnderlyingType(t) ?? t;

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
