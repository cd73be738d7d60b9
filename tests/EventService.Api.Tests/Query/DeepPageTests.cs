using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

/// <summary>Pages deep in a list (read as a deferred join) hold exactly the rows the order puts there.</summary>
public sealed class DeepPageTests(ApiFixture fixture, ITestOutputHelper output) : ListTestBase(fixture, output)
{
    private const int Count = 1600;

    // Ids and timestamps in different orders, some timestamps shared, so that each sort key and its tie-breakers matter.
    private static readonly (long Id, DateTimeOffset Timestamp, int Type)[] Events = Enumerable.Range(1, Count)
        .Select(i => (10_000L + i, ApiFixture.Start.AddMinutes(-(i * 7919 % 997)), i % 4 == 0 ? 3 : 1))
        .ToArray();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var producer = await ProducerClientAsync();
        var batch = new JsonArray([.. Events.Select(e => (JsonNode)ValidEvent(e.Id, QueryDataSet.Acme, ApiFixture.Start - e.Timestamp, e.Type))]);
        var response = await PostJsonAsync(producer, batch);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(11, 100)] // skips 1,000: the first deferred page
    [InlineData(17, 100)] // the last, partial page
    [InlineData(3, 500)]
    [InlineData(9, 100)] // the second half: walked from the end
    [InlineData(16, 100)] // the last full page, from the end
    [InlineData(2, 1000)] // the rest after a deferred 1,000, from the end
    public async Task A_deep_page_in_the_default_order_holds_the_next_ids(int page, int perPage)
    {
        var mine = await MineAsync();
        var expected = mine.OrderBy(e => e.Id).Select(e => e.Id).Skip((page - 1) * perPage).Take(perPage).ToArray();

        var (ids, response) = await ListAsync(Acme, $"/api/v1/event?page={page}&per_page={perPage}");

        Assert.Equal(expected, ids);
        Assert.Equal(mine.Count.ToString(), Header(response, "X-Total-Count"));
    }

    [Fact]
    public async Task A_deep_page_sorted_by_time_descending_breaks_ties_by_id()
    {
        var mine = await MineAsync();
        var expected = mine.OrderByDescending(e => e.Timestamp).ThenBy(e => e.Id).Select(e => e.Id).Skip(1000).Take(100).ToArray();

        var (ids, _) = await ListAsync(Acme, "/api/v1/event?sort=-timestamp&page=11&per_page=100");

        Assert.Equal(expected, ids);
    }

    [Theory]
    [InlineData("-timestamp", 12)]
    [InlineData("timestamp", 14)]
    [InlineData("-id", 15)]
    public async Task A_page_in_the_second_half_walked_from_the_end_holds_what_the_order_puts_there(string sort, int page)
    {
        var mine = await MineAsync();
        var ordered = sort switch
        {
            "-timestamp" => mine.OrderByDescending(e => e.Timestamp).ThenBy(e => e.Id),
            "timestamp" => mine.OrderBy(e => e.Timestamp).ThenBy(e => e.Id),
            _ => mine.OrderByDescending(e => e.Id).ThenBy(e => e.Timestamp),
        };
        var expected = ordered.Select(e => e.Id).Skip((page - 1) * 100).Take(100).ToArray();

        var (ids, _) = await ListAsync(Acme, $"/api/v1/event?sort={sort}&page={page}&per_page=100");

        Assert.Equal(expected, ids);
    }

    [Fact]
    public async Task A_deep_page_of_a_filtered_list_holds_only_matching_events()
    {
        var ones = (await MineAsync("AND event_type_id = 1")).Select(e => e.Id).Order().ToArray();
        Assert.True(ones.Length > 1200);

        var (ids, response) = await ListAsync(Acme, "/api/v1/event?q=type:1&page=6&per_page=200");

        Assert.Equal(ones.Skip(1000).Take(200).ToArray(), ids);
        Assert.Equal(ones.Length.ToString(), Header(response, "X-Total-Count"));
    }

    /// <summary>Acme's events (the data set's and these) as id and timestamp, from the database.</summary>
    private async Task<List<(long Id, DateTimeOffset Timestamp)>> MineAsync(string condition = "")
    {
        var rows = await Fixture.QueryScalarAsync<string[]>(
            $"""SELECT array_agg(id::text || ' ' || (extract(epoch FROM "timestamp") * 1000000)::bigint::text) FROM events WHERE organisation_id = {QueryDataSet.Acme} {condition}""");
        return rows.Select(r => r.Split(' '))
            .Select(p => (long.Parse(p[0]), DateTimeOffset.UnixEpoch.AddTicks(long.Parse(p[1]) * 10)))
            .ToList();
    }
}
