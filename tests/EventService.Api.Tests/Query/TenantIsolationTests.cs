using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

/// <summary>Two organisations whose events share endpoint, SIM and user ids never see each other's events.</summary>
public sealed class TenantIsolationTests(ApiFixture fixture, ITestOutputHelper output) : ListTestBase(fixture, output)
{
    [Fact]
    public async Task Each_organisation_lists_only_its_own_events_and_counts()
    {
        var (acme, acmeResponse) = await ListAsync(Acme, "/api/v1/event");
        var (beta, betaResponse) = await ListAsync(Beta, "/api/v1/event");

        Assert.Equal([1L, 2, 3, 4, 5, 6, 7, 8], acme);
        Assert.Equal([9L, 10], beta);
        Assert.Equal("8", Header(acmeResponse, "X-Total-Count"));
        Assert.Equal("2", Header(betaResponse, "X-Total-Count"));
    }

    [Theory]
    [InlineData("/api/v1/endpoint/90001/event", new long[] { 1, 2, 5, 7 }, new long[] { 9 })]
    [InlineData("/api/v1/sim/700001/event", new long[] { 1, 2, 5, 7 }, new long[] { 9 })]
    [InlineData("/api/v1/user/123/event", new long[] { 4 }, new long[] { 9 })]
    [InlineData("/api/v1/endpoint/91001/event", new long[0], new long[] { 10 })]
    [InlineData("/api/v1/endpoint/90003/event", new long[] { 6 }, new long[0])]
    [InlineData("/api/v1/sim/999/event", new long[0], new long[0])]
    public async Task A_shared_or_foreign_device_sim_or_user_id_shows_only_the_callers_events(string path, long[] acmeIds, long[] betaIds)
    {
        var (acme, acmeResponse) = await ListAsync(Acme, path);
        var (beta, betaResponse) = await ListAsync(Beta, path);

        Assert.Equal(acmeIds, acme);
        Assert.Equal(betaIds, beta);
        Assert.Equal(acmeIds.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(acmeResponse, "X-Total-Count"));
        Assert.Equal(betaIds.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(betaResponse, "X-Total-Count"));
    }

    [Fact]
    public async Task Filters_naming_the_other_organisation_find_nothing()
    {
        var (byName, _) = await ListAsync(Acme, "/api/v1/event?q=" + Uri.EscapeDataString("organisation:Beta Meters"));
        var (byEndpoint, response) = await ListAsync(Acme, "/api/v1/event?q=endpoint:meter-1");

        Assert.Empty(byName);
        Assert.Empty(byEndpoint);
        Assert.Equal("0", Header(response, "X-Total-Count"));
    }

    [Fact]
    public async Task Another_organisations_event_by_id_is_a_404_like_an_unknown_id()
    {
        var foreign = await AssertProblemAsync(await Acme.GetAsync("/api/v1/event/9"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
        var unknown = await AssertProblemAsync(await Acme.GetAsync("/api/v1/event/12345"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");

        Assert.Equal(HttpStatusCode.OK, (await Beta.GetAsync("/api/v1/event/9")).StatusCode);
        // Nothing in the answer tells "someone else's" from "no such event".
        Assert.Equal(unknown["detail"]!.GetValue<string>().Replace("12345", "9", StringComparison.Ordinal), foreign["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task My_events_of_an_application_token_are_an_empty_list()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/user/my/event");

        Assert.Empty(ids);
        Assert.Equal("0", Header(response, "X-Total-Count"));
    }

    [Theory]
    [InlineData("/api/v1/endpoint/abc/event")]
    [InlineData("/api/v1/sim/1.5/event")]
    [InlineData("/api/v1/user/-3/event")]
    public async Task A_non_numeric_id_in_the_path_is_a_400(string path) =>
        await AssertProblemAsync(await Acme.GetAsync(path), HttpStatusCode.BadRequest, "urn:eventservice:problem:invalid-query");

    [Fact]
    public async Task Sub_resource_lists_page_and_filter_like_the_main_list()
    {
        var (ids, response) = await ListAsync(Acme, "/api/v1/endpoint/90001/event?q=type:1&sort=-id&per_page=1");

        Assert.Equal([7L], ids);
        Assert.Equal("2", Header(response, "X-Total-Count"));
        Assert.Contains("/api/v1/endpoint/90001/event?page=2&per_page=1&q=type%3A1&sort=-id", Header(response, "Link"), StringComparison.Ordinal);
    }
}
