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

        var heard = Hear(cache, CredentialLookupCache.ProducerRevoked(id));
        Assert.Equal(HttpStatusCode.NoContent, (await otherAdmin.DeleteAsync($"/api/v1/admin/producers/{id}")).StatusCode);
        await heard.WaitAsync(Patience);

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

        var heard = Hear(cache, CredentialLookupCache.ApplicationTokenRevoked(tokenId));
        Assert.Equal(HttpStatusCode.NoContent, (await otherAdmin.DeleteAsync($"/api/v1/admin/application_tokens/{tokenId}")).StatusCode);
        await heard.WaitAsync(Patience);

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
            var heard = Hear(cache, CredentialLookupCache.ProducerRevoked(probeId));
            await otherAdmin.DeleteAsync($"/api/v1/admin/producers/{probeId}");
            try
            {
                await heard.WaitAsync(TimeSpan.FromSeconds(2));
                return;
            }
            catch (TimeoutException) when (attempt < 5)
            {
                // The listener was still connecting: NOTIFY reaches only those already listening.
            }
        }
    }

    private static Task Hear(CredentialLookupCache cache, string payload)
    {
        var heard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cache.Heard += p =>
        {
            if (p == payload)
            {
                heard.TrySetResult();
            }
        };
        return heard.Task;
    }
}
