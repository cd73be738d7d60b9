using System.Net;
using System.Security.Cryptography;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.RateLimits;

/// <summary>
/// Each test runs its own host with three permits per hour-long window: the windows never replenish while a test
/// runs, so no assertion depends on timing.
/// </summary>
public sealed class RateLimitTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private const int Limit = 3;

    private WebApplicationFactory<Program> limited = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        limited = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["RateLimits:Ingest:PermitLimit"] = Limit.ToString(),
            ["RateLimits:Ingest:Window"] = "01:00:00",
            ["RateLimits:Read:PermitLimit"] = Limit.ToString(),
            ["RateLimits:Read:Window"] = "01:00:00",
            ["Retention:Enabled"] = "false",
        });
    }

    public override async Task DisposeAsync()
    {
        await limited.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task A_producer_over_its_ingest_limit_gets_a_429_problem_with_retry_after_and_nothing_is_stored()
    {
        using var producer = ApiFixture.Client(limited, await CreateProducerAsync());
        for (var i = 0; i < Limit; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1 + i))).StatusCode);
        }

        var response = await PostJsonAsync(producer, ValidEvent(id: 100));

        var problem = await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.InRange(retryAfter, 1, 3600);
        Assert.Contains("retry after", problem["detail"]!.GetValue<string>());
        Assert.Equal(Limit, await CountEventsAsync());
    }

    [Fact]
    public async Task Another_producer_is_not_slowed_by_a_noisy_one()
    {
        using var noisy = ApiFixture.Client(limited, await CreateProducerAsync(name: "noisy"));
        using var quiet = ApiFixture.Client(limited, await CreateProducerAsync(name: "quiet"));
        for (var i = 0; i <= Limit; i++)
        {
            await PostJsonAsync(noisy, ValidEvent(id: 1 + i));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostJsonAsync(noisy, ValidEvent(id: 50))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(quiet, ValidEvent(id: 51))).StatusCode);
    }

    [Fact]
    public async Task An_organisation_over_its_read_limit_gets_429_while_another_organisation_and_its_own_ingest_go_on()
    {
        var (_, acmeSecret) = await CreateApplicationTokenAsync(4711);
        var (_, otherSecret) = await CreateApplicationTokenAsync(4712);
        using var acme = ApiFixture.Client(limited, await AuthenticateAsync(acmeSecret));
        using var other = ApiFixture.Client(limited, await AuthenticateAsync(otherSecret));
        for (var i = 0; i < Limit; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync("/api/v1/event")).StatusCode);
        }

        var response = await acme.GetAsync("/api/v1/event");

        await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        Assert.True(response.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/v1/event")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(acme, ValidEvent(id: 7, source: 2))).StatusCode);
    }

    [Fact]
    public async Task Every_auth_token_of_an_organisation_shares_its_permits()
    {
        var (_, first) = await CreateApplicationTokenAsync(4711);
        var (_, second) = await CreateApplicationTokenAsync(4711);
        using var one = ApiFixture.Client(limited, await AuthenticateAsync(first));
        using var two = ApiFixture.Client(limited, await AuthenticateAsync(second));
        for (var i = 0; i < Limit; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/api/v1/event/type")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await two.GetAsync("/api/v1/event/type")).StatusCode);
    }

    [Fact]
    public async Task Callers_without_a_valid_credential_are_limited_by_address_so_guessing_tokens_is_slow()
    {
        using var guesser = ApiFixture.Client(limited, "esp_guess");
        for (var i = 0; i < Limit; i++)
        {
            await AssertProblemAsync(await guesser.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized);
        }

        await AssertProblemAsync(await guesser.GetAsync("/api/v1/event"), HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        using var admin = ApiFixture.Client(limited, Fixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/admin/producers")).StatusCode);
    }

    [Fact]
    public async Task Past_the_per_address_limit_made_up_tokens_get_a_429_before_any_lookup_in_the_database()
    {
        await using var db = await ProxiedDatabase.StartAsync(Fixture, new Dictionary<string, string?>
        {
            ["RateLimits:PerAddress:PermitLimit"] = Limit.ToString(),
            ["RateLimits:PerAddress:Window"] = "01:00:00",
        });
        for (var i = 0; i < Limit; i++)
        {
            using var guesser = ApiFixture.Client(db.Factory, "esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            await AssertProblemAsync(await guesser.GetAsync("/api/v1/event/type"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        }

        // A lookup would now fail with a 503: a 429 shows that none is tried.
        db.Proxy.Cut();

        for (var i = 0; i < Limit; i++)
        {
            using var guesser = ApiFixture.Client(db.Factory, "esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            var response = await PostJsonAsync(guesser, ValidEvent(id: 1 + i));
            var problem = await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
            Assert.InRange(int.Parse(Assert.Single(response.Headers.GetValues("Retry-After"))), 1, 3600);
            Assert.StartsWith("This address", problem["detail"]!.GetValue<string>());
        }

        // A credential the instance knows without a lookup is not charged: the admin key gets past the spent budget
        // (to the cut database: a 503, not a 429); the health checks stay outside it too.
        using var admin = ApiFixture.Client(db.Factory, Fixture.AdminKey);
        await AssertProblemAsync(await admin.GetAsync("/api/v1/admin/producers"), HttpStatusCode.ServiceUnavailable, ProblemTypes.DatabaseUnavailable);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task A_producer_this_instance_knows_is_not_charged_to_its_address_and_posts_past_the_address_limit()
    {
        using var host = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["RateLimits:PerAddress:PermitLimit"] = Limit.ToString(),
            ["RateLimits:PerAddress:Window"] = "01:00:00",
        });
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        // A token is cached only while this host hears revocations: until its listener is up, every post is a lookup.
        var cache = host.Services.GetRequiredService<CredentialLookupCache>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!cache.IsListening)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the revocation listener did not start");
            await Task.Delay(20);
        }

        for (var i = 0; i < Limit * 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1 + i))).StatusCode);
        }

        // Only its first post, before its token was cached, was the address's: a guesser from it has the rest.
        for (var i = 1; i < Limit; i++)
        {
            using var guesser = ApiFixture.Client(host, "esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
            await AssertProblemAsync(await guesser.GetAsync("/api/v1/event/type"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        }

        using var last = ApiFixture.Client(host, "esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        await AssertProblemAsync(await last.GetAsync("/api/v1/event/type"), HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 9999))).StatusCode);
    }

    [Fact]
    public async Task A_credential_the_endpoint_refuses_uses_up_its_own_permits_and_not_another_credentials()
    {
        using var admin = ApiFixture.Client(limited, Fixture.AdminKey);
        for (var i = 0; i < Limit; i++)
        {
            await AssertProblemAsync(await PostJsonAsync(admin, ValidEvent(id: 1 + i)), HttpStatusCode.Forbidden);
        }

        await AssertProblemAsync(await PostJsonAsync(admin, ValidEvent(id: 10)), HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        using var producer = ApiFixture.Client(limited, await CreateProducerAsync());
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 11))).StatusCode);
    }

    [Fact]
    public async Task Disabled_rate_limits_let_everything_through()
    {
        await using var unlimited = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["RateLimits:Enabled"] = "false",
            ["RateLimits:Read:PermitLimit"] = "1",
            ["RateLimits:Read:Window"] = "01:00:00",
            ["Retention:Enabled"] = "false",
        });
        using var admin = ApiFixture.Client(unlimited, Fixture.AdminKey);

        for (var i = 0; i < Limit * 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/admin/producers")).StatusCode);
        }
    }

    [Theory]
    [InlineData("RateLimits:Ingest:PermitLimit", "0")]
    [InlineData("RateLimits:Read:Window", "00:00:00")]
    [InlineData("RateLimits:Read:Window", "2.00:00:00")]
    [InlineData("RateLimits:PerAddress:PermitLimit", "0")]
    public void Invalid_limits_stop_the_service_at_startup(string key, string value)
    {
        using var invalid = Fixture.CreateFactory(new Dictionary<string, string?> { [key] = value });

        var error = Assert.ThrowsAny<Exception>(() => invalid.Server);

        Assert.Contains("RateLimits", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_are_never_limited()
    {
        using var anonymous = ApiFixture.Client(limited, null);
        for (var i = 0; i < Limit * 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        }
    }
}
