using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

public sealed class SortAndPagingTests(ApiFixture fixture, ITestOutputHelper output) : ListTestBase(fixture, output)
{
    [Theory]
    [InlineData(null, new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, "id")]
    [InlineData("-id", new long[] { 8, 7, 6, 5, 4, 3, 2, 1 }, "-id")]
    [InlineData("-timestamp", new long[] { 6, 5, 4, 3, 2, 1, 7, 8 }, "-timestamp")]
    [InlineData("timestamp", new long[] { 8, 7, 1, 2, 3, 4, 5, 6 }, "timestamp")]
    [InlineData("type,-id", new long[] { 7, 1, 3, 2, 6, 4, 8, 5 }, "type,-id")]
    [InlineData("severity,source", new long[] { 1, 2, 6, 3, 5, 8, 4, 7 }, "severity,source")]
    [InlineData("endpoint", new long[] { 6, 1, 2, 5, 7, 3, 4, 8 }, "endpoint")]
    [InlineData("-alert,id", new long[] { 3, 5, 7, 8, 1, 2, 4, 6 }, "-alert,id")]
    [InlineData("iccid,-id", new long[] { 6, 7, 5, 2, 1, 3, 8, 4 }, "iccid,-id")]
    public async Task Sort_orders_by_the_fields_given_and_reports_them(string? sort, long[] expected, string applied)
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event" + (sort is null ? "" : "?sort=" + Uri.EscapeDataString(sort)));

        Assert.Equal(expected, ids);
        Assert.Equal(applied, Header(response, "X-Sort"));
    }

    [Theory]
    [InlineData("id")]
    [InlineData("timestamp")]
    [InlineData("source")]
    [InlineData("severity")]
    [InlineData("alert")]
    [InlineData("organisation")]
    [InlineData("user")]
    [InlineData("endpoint")]
    [InlineData("tags")]
    [InlineData("ip_address")]
    [InlineData("iccid")]
    [InlineData("imsi")]
    [InlineData("type")]
    public async Task Every_emnify_sort_field_is_accepted_both_ways(string field)
    {
        var (ascending, _) = await ListAsync(Acme, "/api/v1/event?sort=" + field);
        var (descending, _) = await ListAsync(Acme, "/api/v1/event?sort=-" + field);

        Assert.Equal(8, ascending.Length);
        Assert.Equal(ascending.Order(), descending.Order());
    }

    [Fact]
    public async Task An_unknown_sort_field_is_a_400()
    {
        var response = await Acme.GetAsync("/api/v1/event?sort=colour");

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:invalid-query");
        Assert.Contains("colour", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("page=abc")]
    [InlineData("per_page=many")]
    public async Task A_page_that_is_not_a_number_is_a_400(string query) =>
        await AssertProblemAsync(await Acme.GetAsync("/api/v1/event?" + query), HttpStatusCode.BadRequest, "urn:eventservice:problem:invalid-query");

    [Fact]
    public async Task The_first_page_has_the_counts_and_links_to_next_and_last()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?per_page=3");

        Assert.Equal([1L, 2, 3], ids);
        Assert.Equal("3", Header(response, "X-Count-Per-Page"));
        Assert.Equal("1", Header(response, "X-Current-Page"));
        Assert.Equal("8", Header(response, "X-Total-Count"));
        Assert.Equal("3", Header(response, "X-Total-Pages"));
        var links = Links(response);
        Assert.Equal(["first", "next", "last"], links.Keys);
        Assert.Equal("/api/v1/event?page=2&per_page=3&sort=id", links["next"]);
        Assert.Equal("/api/v1/event?page=3&per_page=3&sort=id", links["last"]);
    }

    [Fact]
    public async Task A_middle_page_links_both_ways_and_keeps_q_and_sort()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?per_page=1&page=2&q=alert:true&sort=-id");

        Assert.Equal([7L], ids);
        var links = Links(response);
        Assert.Equal(["first", "prev", "next", "last"], links.Keys);
        Assert.Equal("/api/v1/event?page=1&per_page=1&q=alert%3Atrue&sort=-id", links["prev"]);
        Assert.Equal("/api/v1/event?page=3&per_page=1&q=alert%3Atrue&sort=-id", links["next"]);
        Assert.Equal("/api/v1/event?page=4&per_page=1&q=alert%3Atrue&sort=-id", links["last"]);
        Assert.Equal("4", Header(response, "X-Total-Count"));
        Assert.Equal("alert:true", Header(response, "X-Filter"));
        Assert.Equal("-id", Header(response, "X-Sort"));
    }

    [Fact]
    public async Task The_last_page_has_the_rest_and_no_next_link()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?per_page=3&page=3");

        Assert.Equal([7L, 8], ids);
        Assert.Equal(["first", "prev", "last"], Links(response).Keys);
    }

    [Fact]
    public async Task A_page_past_the_last_answers_the_last_page()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?per_page=3&page=99");

        Assert.Equal([7L, 8], ids);
        Assert.Equal("3", Header(response, "X-Current-Page"));
    }

    [Fact]
    public async Task A_page_below_one_is_the_first_and_a_bad_per_page_the_default()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?page=-4&per_page=0");

        Assert.Equal(8, ids.Length);
        Assert.Equal("1", Header(response, "X-Current-Page"));
        Assert.Equal("100", Header(response, "X-Count-Per-Page"));
    }

    [Fact]
    public async Task Per_page_is_clamped_to_1000()
    {
        var (_, response) = await ListAsync(Acme, "/api/v1/event?per_page=5000");

        Assert.Equal("1000", Header(response, "X-Count-Per-Page"));
    }

    [Fact]
    public async Task An_empty_result_has_one_page_and_consistent_headers()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/event?q=type:99");

        Assert.Empty(ids);
        Assert.Equal("0", Header(response, "X-Total-Count"));
        Assert.Equal("1", Header(response, "X-Total-Pages"));
        Assert.Equal("1", Header(response, "X-Current-Page"));
    }

    [Fact]
    public async Task Browsers_may_read_the_paging_headers()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/event");
        request.Headers.Add("Origin", "https://dashboard.example");

        var response = await Acme.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var exposed = response.Headers.GetValues("Access-Control-Expose-Headers").SelectMany(v => v.Split(',')).Select(v => v.Trim()).ToList();
        foreach (var header in new[] { "Link", "X-Total-Count", "X-Total-Pages", "X-Current-Page", "X-Count-Per-Page", "X-Filter", "X-Sort" })
        {
            Assert.Contains(header, exposed, StringComparer.OrdinalIgnoreCase);
        }
    }

    private static Dictionary<string, string> Links(HttpResponseMessage response) =>
        Header(response, "Link").Split(", ")
            .Select(part => part.Split("; "))
            .ToDictionary(p => p[1]["rel=\"".Length..^1], p => p[0][1..^1]);
}
