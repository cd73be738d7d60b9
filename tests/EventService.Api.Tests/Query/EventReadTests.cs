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
    public async Task Another_organisations_event_is_a_404_like_an_unknown_one()
    {
        using var producer = await ProducerClientAsync();
        await PostJsonAsync(producer, ValidEvent(id: 77, organisationId: 4712));
        using var reader = await OrganisationClientAsync(4711);
        using var owner = await OrganisationClientAsync(4712);

        var foreign = await AssertProblemAsync(await reader.GetAsync("/api/v1/event/77"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");
        var unknown = await AssertProblemAsync(await reader.GetAsync("/api/v1/event/78"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");

        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/v1/event/77")).StatusCode);
        Assert.Equal(unknown["detail"]!.GetValue<string>().Replace("78", "77", StringComparison.Ordinal), foreign["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_non_numeric_event_id_is_a_404_problem_not_an_empty_body()
    {
        using var reader = await OrganisationClientAsync(4711);

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/abc"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Reading_events_needs_an_organisations_auth_token()
    {
        using var anonymous = Fixture.Client();
        using var producer = await ProducerClientAsync();
        using var admin = Fixture.AdminClient();
        await PostJsonAsync(producer, ValidEvent());

        await AssertProblemAsync(await anonymous.GetAsync("/api/v1/event/1001"), HttpStatusCode.Unauthorized);
        await AssertProblemAsync(await producer.GetAsync("/api/v1/event/1001"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await admin.GetAsync("/api/v1/event/1001"), HttpStatusCode.Forbidden);
        await AssertProblemAsync(await admin.GetAsync("/api/v1/event"), HttpStatusCode.Forbidden);
    }
}
