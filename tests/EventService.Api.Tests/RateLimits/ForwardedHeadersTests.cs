using System.Net;
using EventService.Api.Infrastructure;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.RateLimits;

/// <summary>
/// Behind a reverse proxy every request comes from the proxy's address: with Hosting:ForwardedHeaders on and the proxy
/// known, the per-address limit counts each client of X-Forwarded-For apart; off, or from an unknown proxy, the header
/// is ignored. Every request here arrives from <see cref="Proxy"/>; three permits per hour-long window.
/// </summary>
public sealed class ForwardedHeadersTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private const int Limit = 3;

    private static readonly IPAddress Proxy = IPAddress.Parse("10.9.8.7");

    private WebApplicationFactory<Program> Host(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["RateLimits:PerAddress:PermitLimit"] = Limit.ToString(),
            ["RateLimits:PerAddress:Window"] = "01:00:00",
            ["Retention:Enabled"] = "false",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return Fixture.CreateFactory(all).WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.AddSingleton<IStartupFilter>(new FromProxy())));
    }

    private static async Task<HttpStatusCode> SendFromAsync(WebApplicationFactory<Program> host, string client)
    {
        using var anonymous = ApiFixture.Client(host, null);
        anonymous.DefaultRequestHeaders.Add("X-Forwarded-For", client);
        var response = await anonymous.GetAsync("/api/v1/event/type");
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            await AssertProblemAsync(response, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
            Assert.True(response.Headers.Contains("Retry-After"));
        }

        return response.StatusCode;
    }

    private static async Task UseUpAsync(WebApplicationFactory<Program> host, string client)
    {
        for (var i = 0; i < Limit; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SendFromAsync(host, client));
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(host, client));
    }

    [Fact]
    public async Task Behind_a_known_proxy_each_forwarded_client_has_a_budget_of_its_own()
    {
        await using var host = Host(("Hosting:ForwardedHeaders:Enabled", "true"), ("Hosting:ForwardedHeaders:KnownProxies:0", Proxy.ToString()));

        await UseUpAsync(host, "203.0.113.1");

        Assert.Equal(HttpStatusCode.Unauthorized, await SendFromAsync(host, "203.0.113.2"));
        // Only the address the proxy itself saw counts: a client cannot pick another by prepending one.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(host, "198.51.100.9, 203.0.113.1"));
    }

    [Fact]
    public async Task A_known_network_counts_as_known_proxies()
    {
        await using var host = Host(("Hosting:ForwardedHeaders:Enabled", "true"), ("Hosting:ForwardedHeaders:KnownNetworks:0", "10.9.0.0/16"));

        await UseUpAsync(host, "203.0.113.1");

        Assert.Equal(HttpStatusCode.Unauthorized, await SendFromAsync(host, "203.0.113.2"));
    }

    [Fact]
    public async Task Forwarded_headers_are_ignored_by_default_so_every_client_of_the_proxy_shares_one_budget()
    {
        await using var host = Host();

        await UseUpAsync(host, "203.0.113.1");

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(host, "203.0.113.2"));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_address_that_is_not_a_known_proxy_are_ignored()
    {
        await using var host = Host(("Hosting:ForwardedHeaders:Enabled", "true"), ("Hosting:ForwardedHeaders:KnownProxies:0", "10.0.0.1"));

        await UseUpAsync(host, "203.0.113.1");

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(host, "203.0.113.2"));
    }

    [Fact]
    public async Task IPv6_clients_are_counted_by_their_64_bit_prefix()
    {
        await using var host = Host(("Hosting:ForwardedHeaders:Enabled", "true"), ("Hosting:ForwardedHeaders:KnownProxies:0", Proxy.ToString()));

        await UseUpAsync(host, "2001:db8:1:2::1");

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendFromAsync(host, "2001:db8:1:2:ffff::7"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SendFromAsync(host, "2001:db8:1:3::1"));
    }

    [Theory]
    [InlineData("Hosting:ForwardedHeaders:KnownProxies:0", "not-an-address")]
    [InlineData("Hosting:ForwardedHeaders:KnownNetworks:0", "10.0.0.0")]
    public void A_malformed_proxy_stops_the_service_at_startup(string key, string value)
    {
        using var host = Host(("Hosting:ForwardedHeaders:Enabled", "true"), (key, value));

        var error = Assert.ThrowsAny<Exception>(() => host.Server);

        Assert.Contains("Hosting:ForwardedHeaders", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>TestServer gives requests no remote address: this one makes each come from the proxy.</summary>
    private sealed class FromProxy : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, inner) =>
            {
                context.Connection.RemoteIpAddress = Proxy;
                return inner(context);
            });
            next(app);
        };
    }
}
