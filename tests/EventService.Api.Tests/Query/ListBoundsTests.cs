using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Query;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

/// <summary>What one list request may cost: the sort bound, a page past the last, and the bytes a page holds.</summary>
public sealed class ListBoundsTests(ApiFixture fixture, ITestOutputHelper output) : ListTestBase(fixture, output)
{
    [Fact]
    public async Task A_sort_without_an_index_over_more_than_MaxSortRows_is_a_422_naming_the_count_and_the_limit()
    {
        await using var factory = Fixture.CreateFactory(new Dictionary<string, string?> { ["Query:MaxSortRows"] = "5" });
        using var acme = ApiFixture.Client(factory, await TokenAsync());

        var response = await acme.GetAsync("/api/v1/event?sort=-tags");

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:sort-too-large");
        var detail = problem["detail"]!.GetValue<string>();
        Assert.Contains("matches 8 events", detail);
        Assert.Contains("Query:MaxSortRows is 5", detail);
        Assert.Contains("from/until", detail);
        Assert.False(response.Headers.Contains("X-Total-Count"));
    }

    [Theory]
    [InlineData("/api/v1/event?sort=-tags&q=type:1")] // few enough matches
    [InlineData("/api/v1/event?sort=-timestamp")] // indexed: any number of matches
    [InlineData("/api/v1/event?sort=organisation,id&page=2&per_page=3")] // one organisation's value leads: the index order
    public async Task A_sort_within_the_bound_or_by_an_indexed_field_answers_its_page(string url)
    {
        await using var factory = Fixture.CreateFactory(new Dictionary<string, string?> { ["Query:MaxSortRows"] = "5" });
        using var acme = ApiFixture.Client(factory, await TokenAsync());

        var (ids, response) = await ListAsync(acme, url);

        Assert.NotEmpty(ids);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_page_past_the_last_is_the_last_page_read_once_from_the_count()
    {
        using var statements = new PageStatements();

        var (ids, response) = await ListAsync(Acme, "/api/v1/event?per_page=3&page=2147483647");

        Assert.Equal([7L, 8], ids);
        Assert.Equal("3", Header(response, "X-Current-Page"));
        Assert.Equal("3", Header(response, "X-Total-Pages"));
        Assert.Equal("8", Header(response, "X-Total-Count"));
        Assert.Single(statements.Texts); // before: one walk to the end of the list, then a second for the last page
    }

    [Fact]
    public async Task A_last_page_is_read_from_the_end_and_holds_the_last_ids_in_order()
    {
        using var statements = new PageStatements();

        var (ids, _) = await ListAsync(Acme, "/api/v1/event?per_page=3&page=3&sort=-id");

        Assert.Equal([2L, 1], ids);
        Assert.Contains("ORDER BY e.id,", Assert.Single(statements.Texts)); // the reversed walk of -id
    }

    [Fact]
    public async Task A_large_page_is_sent_as_it_is_read_holding_only_a_few_events_at_a_time()
    {
        using var producer = await ProducerClientAsync();
        for (var batch = 0; batch < 5; batch++)
        {
            var events = new JsonArray([.. Enumerable.Range(0, 100).Select(i => (JsonNode)LargeEvent(100_000 + batch * 100 + i))]);
            Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(producer, events)).StatusCode);
        }

        var response = await Acme.GetAsync("/api/v1/event?per_page=1000", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Content.Headers.ContentLength); // sent in chunks, not counted up front
        var body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(508, JsonNode.Parse(body)!.AsArray().Count);
        Assert.True(body.Length > 20_000_000, $"{body.Length} bytes");
        var largest = Fixture.Factory.Services.GetRequiredService<ListStreamingStats>().LargestBufferedBytes;
        Assert.InRange(largest, 1, EventListWriter.FlushBytes + 2 * 65_536); // the flush threshold and one event of MaxEventBytes
    }

    /// <summary>A valid event of about 40 KB: an extra array of ten 4000-character strings.</summary>
    private static JsonObject LargeEvent(long id)
    {
        var e = ValidEvent(id, QueryDataSet.Acme);
        e["blob"] = new JsonArray([.. Enumerable.Range(0, 10).Select(i => (JsonNode)new string((char)('a' + i), 4000))]);
        return e;
    }

    private async Task<string> TokenAsync()
    {
        var (_, secret) = await CreateApplicationTokenAsync(QueryDataSet.Acme, "Acme Fleet");
        return await AuthenticateAsync(secret);
    }

    /// <summary>The page statements (those with LIMIT and OFFSET) that Npgsql runs while it is alive, as its tracing reports them.</summary>
    private sealed class PageStatements : IDisposable
    {
        private readonly ConcurrentQueue<string> texts = new();
        private readonly ActivityListener listener;

        public PageStatements()
        {
            listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if ((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement")) is string text
                        && text.Contains("LIMIT @limit OFFSET @offset", StringComparison.Ordinal))
                    {
                        texts.Enqueue(text);
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
        }

        public IReadOnlyList<string> Texts => texts.ToArray();

        public void Dispose() => listener.Dispose();
    }
}
