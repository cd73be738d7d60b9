using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

public sealed class EventReadTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task An_unknown_event_id_is_a_404_problem()
    {
        using var reader = await OrganisationClientAsync(4711);

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/123"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
    }

    [Fact]
    public async Task A_non_numeric_event_id_is_a_404_problem_not_an_empty_body()
    {
        using var reader = await OrganisationClientAsync(4711);

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/abc"), HttpStatusCode.NotFound);
    }
}
