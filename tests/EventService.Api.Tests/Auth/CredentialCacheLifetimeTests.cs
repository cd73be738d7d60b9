using System.Diagnostics;
using System.Net;
using EventService.Api.Auth;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

/// <summary>
/// A revocation that no instance hears (made by hand in SQL, without pg_notify) still takes effect once the cached
/// credential's Auth:CredentialCacheLifetime (30 s) has passed on the host's clock.
/// </summary>
public sealed class CredentialCacheLifetimeTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    /// <summary>The cache is used only while the host hears revocations; its listener connects at startup.</summary>
    private static async Task UntilListeningAsync(WebApplicationFactory<Program> host)
    {
        var cache = host.Services.GetRequiredService<CredentialLookupCache>();
        var waited = Stopwatch.StartNew();
        while (!cache.IsListening)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "the revocation listener never connected");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_producer_revoked_in_sql_works_until_its_cached_lifetime_ends_then_is_a_401()
    {
        await UntilListeningAsync(Fixture.Factory);
        using var producer = Fixture.Client(await CreateProducerAsync());
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);

        await Fixture.ExecuteAsync("UPDATE producers SET revoked_at = now()");

        Fixture.Time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 2))).StatusCode);
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await AssertProblemAsync(await PostJsonAsync(producer, ValidEvent(id: 3)), HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task An_application_token_revoked_in_sql_stops_its_auth_tokens_once_its_cached_lifetime_ends()
    {
        await UntilListeningAsync(Fixture.Factory);
        using var reader = await OrganisationClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);

        await Fixture.ExecuteAsync("UPDATE application_tokens SET revoked_at = now()");

        Fixture.Time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);
        Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        await AssertProblemAsync(await reader.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
    }

    [Fact]
    public async Task The_lifetime_is_configurable_and_zero_caches_nothing()
    {
        await using var uncached = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["Auth:CredentialCacheLifetime"] = "00:00:00",
            ["Retention:Enabled"] = "false",
        });
        using var producer = ApiFixture.Client(uncached, await CreateProducerAsync());
        await UntilListeningAsync(uncached);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);

        await Fixture.ExecuteAsync("UPDATE producers SET revoked_at = now()");

        await AssertProblemAsync(await PostJsonAsync(producer, ValidEvent(id: 2)), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void A_lifetime_over_ten_minutes_stops_the_service_at_startup()
    {
        using var invalid = Fixture.CreateFactory(new Dictionary<string, string?> { ["Auth:CredentialCacheLifetime"] = "00:10:01" });

        var error = Assert.ThrowsAny<Exception>(() => invalid.Server);

        Assert.Contains("Auth:CredentialCacheLifetime", error.ToString(), StringComparison.Ordinal);
    }
}
