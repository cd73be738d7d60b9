using System.Net;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

public sealed class HeaderLimitTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Headers_over_the_limit_are_a_431_problem_before_authentication_or_the_body()
    {
        using var producer = await ProducerClientAsync();
        producer.DefaultRequestHeaders.Add("X-Padding", new string('a', 17 * 1024));

        var response = await PostJsonAsync(producer, ValidEvent());

        await AssertProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge, "urn:eventservice:problem:headers-too-large");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Fact]
    public async Task Many_headers_just_under_the_limit_pass()
    {
        using var producer = await ProducerClientAsync();
        for (var i = 0; i < 14; i++)
        {
            producer.DefaultRequestHeaders.Add($"X-Padding-{i}", new string('a', 1000));
        }

        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent())).StatusCode);
    }
}
