using System.Net;
using EventService.Api.Auth;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

/// <summary>Credentials are cached per instance, yet a revocation made on one instance stops the credential on every other.</summary>
public sealed class RevocationAcrossInstancesTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_producer_revoked_on_one_instance_stops_working_on_another_that_had_cached_it()
    {
        await using var other = Fixture.CreateFactory();
        using var otherAdmin = ApiFixture.Client(other, Fixture.AdminKey);
        var cache = Fixture.Factory.Services.GetRequiredService<CredentialLookupCache>();
        await ProveListeningAsync(cache, otherAdmin);
        var token = await CreateProducerAsync();
        using var producer = Fixture.Client(token);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 2))).StatusCode);
        var id = await Fixture.QueryScalarAsync<long>("SELECT max(id) FROM producers");

        await RevokeAndHearAsync(cache, CredentialLookupCache.ProducerRevoked(id), Patience, async () =>
            Assert.Equal(HttpStatusCode.NoContent, (await otherAdmin.DeleteAsync($"/api/v1/admin/producers/{id}")).StatusCode));

        await AssertProblemAsync(await PostJsonAsync(producer, ValidEvent(id: 3)), HttpStatusCode.Unauthorized);
        Assert.Equal(2, await CountEventsAsync());
    }

    [Fact]
    public async Task An_application_token_revoked_on_one_instance_stops_its_auth_tokens_on_another()
    {
        await using var other = Fixture.CreateFactory();
        using var otherAdmin = ApiFixture.Client(other, Fixture.AdminKey);
        var cache = Fixture.Factory.Services.GetRequiredService<CredentialLookupCache>();
        await ProveListeningAsync(cache, otherAdmin);
        var (tokenId, secret) = await CreateApplicationTokenAsync(4711);
        using var reader = Fixture.Client(await AuthenticateAsync(secret));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);

        await RevokeAndHearAsync(cache, CredentialLookupCache.ApplicationTokenRevoked(tokenId), Patience, async () =>
            Assert.Equal(HttpStatusCode.NoContent, (await otherAdmin.DeleteAsync($"/api/v1/admin/application_tokens/{tokenId}")).StatusCode));

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized);
    }

    /// <summary>A revocation made elsewhere reaches this instance: its listener is up, so its cache is in use.</summary>
    private async Task ProveListeningAsync(CredentialLookupCache cache, HttpClient otherAdmin)
    {
        using var admin = Fixture.AdminClient();
        var created = await ReadJsonAsync(await PostJsonAsync(admin, new System.Text.Json.Nodes.JsonObject { ["name"] = "probe", ["sources"] = new System.Text.Json.Nodes.JsonArray(0) }, "/api/v1/admin/producers"));
        var probeId = created["id"]!.GetValue<long>();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await RevokeAndHearAsync(cache, CredentialLookupCache.ProducerRevoked(probeId), TimeSpan.FromSeconds(2),
                    () => otherAdmin.DeleteAsync($"/api/v1/admin/producers/{probeId}"));
                return;
            }
            catch (TimeoutException) when (attempt < 5)
            {
                // The listener was still connecting: NOTIFY reaches only those already listening.
            }
        }
    }

    /// <summary>Revokes, then waits until the cache hears <paramref name="payload"/>; the cache (a singleton) keeps no handler.</summary>
    private static async Task RevokeAndHearAsync(CredentialLookupCache cache, string payload, TimeSpan patience, Func<Task> revoke)
    {
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnHeard(string p)
        {
            if (p == payload)
            {
                heard.TrySetResult();
            }
        }

        cache.Heard += OnHeard;
        try
        {
            await revoke();
            await heard.Task.WaitAsync(patience);
        }
        finally
        {
            cache.Heard -= OnHeard;
        }
    }
}
