using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

public sealed class EventReadTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task An_unknown_event_id_is_a_404_problem()
    {
        using var reader = Fixture.AdminClient();

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/123"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
    }

    [Fact]
    public async Task A_non_numeric_event_id_is_a_404_problem_not_an_empty_body()
    {
        using var reader = Fixture.AdminClient();

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/abc"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Reading_an_event_needs_a_credential_that_may_read()
    {
        using var anonymous = Fixture.Client();
        using var producer = await ProducerClientAsync();
        await PostJsonAsync(producer, ValidEvent());

        await AssertProblemAsync(await anonymous.GetAsync("/api/v1/event/1001"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await producer.GetAsync("/api/v1/event/1001"), HttpStatusCode.Forbidden);
    }
}
