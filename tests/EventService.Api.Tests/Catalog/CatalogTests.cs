using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Catalog;

public sealed class CatalogTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task The_catalog_lists_all_69_built_in_types_as_id_and_description()
    {
        using var reader = Fixture.AdminClient();

        var response = await reader.GetAsync("/api/v1/event/type");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var types = (await ReadJsonAsync(response)).AsArray();
        Assert.Equal(69, types.Count);
        Assert.Equal(0, types[0]!["id"]!.GetValue<int>());
        Assert.Equal("Generic", types[0]!["description"]!.GetValue<string>());
        Assert.Equal(["description", "id"], types[3]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal("Create PDP Context", types[3]!["description"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_catalog_is_stored_in_the_database_with_its_detail_schemas()
    {
        Assert.Equal(69, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM event_types WHERE built_in"));
        Assert.Equal("object", await Fixture.QueryScalarAsync<string>("SELECT detail_schema->>'type' FROM event_types WHERE id = 1"));
    }

    [Fact]
    public async Task At_start_an_edited_built_in_type_is_seeded_back_and_a_custom_type_is_kept_and_loaded()
    {
        await Fixture.ExecuteAsync("UPDATE event_types SET description = 'edited' WHERE id = 3");
        await Fixture.ExecuteAsync("INSERT INTO event_types (id, description, built_in) VALUES (9001, 'Custom', FALSE)");
        try
        {
            await using var restarted = Fixture.CreateFactory();
            using var reader = ApiFixture.Client(restarted, Fixture.AdminKey);

            var types = (await ReadJsonAsync(await reader.GetAsync("/api/v1/event/type"))).AsArray();

            Assert.Equal("Create PDP Context", types.Single(t => t!["id"]!.GetValue<int>() == 3)!["description"]!.GetValue<string>());
            Assert.Equal("Custom", types.Single(t => t!["id"]!.GetValue<int>() == 9001)!["description"]!.GetValue<string>());
        }
        finally
        {
            await Fixture.ExecuteAsync("DELETE FROM event_types WHERE id = 9001");
        }
    }

    [Fact]
    public async Task Without_migrations_at_start_the_catalog_is_loaded_as_stored_and_not_seeded()
    {
        await Fixture.ExecuteAsync("UPDATE event_types SET description = 'edited' WHERE id = 3");
        try
        {
            await using var unmigrated = Fixture.CreateFactory(new Dictionary<string, string?> { ["Storage:MigrateOnStartup"] = "false" });
            using var reader = ApiFixture.Client(unmigrated, Fixture.AdminKey);

            var types = (await ReadJsonAsync(await reader.GetAsync("/api/v1/event/type"))).AsArray();

            Assert.Equal(69, types.Count);
            Assert.Equal("edited", types.Single(t => t!["id"]!.GetValue<int>() == 3)!["description"]!.GetValue<string>());
        }
        finally
        {
            await Fixture.ExecuteAsync("UPDATE event_types SET description = 'Create PDP Context' WHERE id = 3");
        }
    }
}
