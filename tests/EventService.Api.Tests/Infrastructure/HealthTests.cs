using System.Net;
using System.Security.Cryptography;
using EventService.Api.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// The health endpoints cost the database nothing a caller controls: no credential is read, and readiness is checked
/// at most once per Health:ReadyCacheDuration. The database is cut to show it: whatever needs it then fails.
/// </summary>
public sealed class HealthTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static string UnknownProducerToken() => "esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    [Fact]
    public async Task Health_reads_no_credential_so_a_producer_token_costs_no_lookup_even_with_the_database_gone()
    {
        await using var db = await ProxiedDatabase.StartAsync(Fixture);
        using var guesser = ApiFixture.Client(db.Factory, UnknownProducerToken());
        await AssertProblemAsync(await guesser.GetAsync("/api/v1/event/type"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        Assert.Equal(HttpStatusCode.OK, (await guesser.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await guesser.GetAsync("/health/ready")).StatusCode);

        db.Proxy.Cut();

        // Elsewhere the token is looked up, which now fails; health never looks.
        await AssertProblemAsync(await guesser.GetAsync("/api/v1/event/type"), HttpStatusCode.ServiceUnavailable, ProblemTypes.DatabaseUnavailable);
        for (var i = 0; i < 5; i++)
        {
            using var fresh = ApiFixture.Client(db.Factory, UnknownProducerToken());
            var live = await fresh.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("Healthy", await live.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Readiness_is_checked_at_most_once_per_cache_period_however_many_calls_come()
    {
        await using var db = await ProxiedDatabase.StartAsync(Fixture, new Dictionary<string, string?> { ["Health:ReadyCacheDuration"] = "00:00:02" });
        using var anonymous = ApiFixture.Client(db.Factory, null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        db.Proxy.Cut();

        // Any of these that checked the database would fail: every one answers from the check made before the cut.
        var flood = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => anonymous.GetAsync("/health/ready")));
        Assert.All(flood, response => Assert.Equal(HttpStatusCode.OK, response.StatusCode));
        Fixture.Time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        Fixture.Time.Advance(TimeSpan.FromSeconds(0.1));

        var after = await anonymous.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.StatusCode);
        Assert.Equal("Unhealthy", await after.Content.ReadAsStringAsync());
        // The failed answer is kept for its period too: the restored database is not asked until it ends.
        db.Proxy.Start();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/health/ready")).StatusCode);
    }

    [Fact]
    public async Task A_zero_cache_period_checks_readiness_on_every_call()
    {
        await using var db = await ProxiedDatabase.StartAsync(Fixture, new Dictionary<string, string?> { ["Health:ReadyCacheDuration"] = "00:00:00" });
        using var anonymous = ApiFixture.Client(db.Factory, null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);

        db.Proxy.Cut();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await anonymous.GetAsync("/health/ready")).StatusCode);
    }
}
