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
}
