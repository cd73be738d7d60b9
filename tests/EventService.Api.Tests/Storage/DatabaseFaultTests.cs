using System.Diagnostics;
using System.Net;
using EventService.Api.Infrastructure;
using EventService.Api.Retention;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Storage;

/// <summary>PostgreSQL unreachable or out of connections: quick 503s with Retry-After, readiness that follows, recovery without a restart.</summary>
public sealed class DatabaseFaultTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    /// <summary>Storage:ConnectTimeout's default is 3 s; an answer must come well within this.</summary>
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(6);

    private async Task<WebApplicationFactory<Program>> StartFactoryAsync(string connectionString)
    {
        var factory = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Events"] = connectionString,
            ["Retention:Enabled"] = "false",
        });
        _ = factory.Server;
        await factory.Services.GetRequiredService<RetentionJob>().FirstRound;
        return factory;
    }

    private static async Task<(HttpResponseMessage Response, TimeSpan Took)> TimedAsync(Func<Task<HttpResponseMessage>> send)
    {
        var watch = Stopwatch.StartNew();
        var response = await send();
        return (response, watch.Elapsed);
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response, TimeSpan took)
    {
        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, ProblemTypes.DatabaseUnavailable);
        Assert.True(response.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, "no Retry-After");
        Assert.True(took < Quick, $"took {took}");
    }

    [Fact]
    public async Task With_postgres_unreachable_requests_answer_503_quickly_ready_fails_and_both_recover_when_it_returns()
    {
        var target = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString);
        var address = (await Dns.GetHostAddressesAsync(target.Host!)).First();
        await using var proxy = new TcpProxy(new IPEndPoint(address, target.Port));
        var throughProxy = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port };
        var producerToken = await CreateProducerAsync();
        await using var factory = await StartFactoryAsync(throughProxy.ConnectionString);
        using var admin = ApiFixture.Client(factory, Fixture.AdminKey);
        using var producer = ApiFixture.Client(factory, producerToken);
        using var anonymous = ApiFixture.Client(factory, null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/admin/producers")).StatusCode);

        proxy.Cut();
        Fixture.Time.Advance(TimeSpan.FromSeconds(1)); // past Health:ReadyCacheDuration: readiness is checked again

        var (ready, readyTook) = await TimedAsync(() => anonymous.GetAsync("/health/ready"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.True(readyTook < Quick, $"ready took {readyTook}");
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        var (list, listTook) = await TimedAsync(() => admin.GetAsync("/api/v1/admin/producers"));
        await AssertUnavailableAsync(list, listTook);
        var (post, postTook) = await TimedAsync(() => PostJsonAsync(producer, ValidEvent()));
        await AssertUnavailableAsync(post, postTook);
        Assert.Equal(0, await CountEventsAsync());

        proxy.Start();

        var deadline = Stopwatch.StartNew();
        while ((await anonymous.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), "ready did not come back");
            await Task.Delay(100);
            Fixture.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent())).StatusCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task With_every_pooled_connection_taken_requests_answer_503_after_the_short_connect_timeout_not_fifteen_seconds()
    {
        var small = new NpgsqlConnectionStringBuilder(Fixture.ConnectionString) { MaxPoolSize = 1 };
        await using var factory = await StartFactoryAsync(small.ConnectionString);
        using var admin = ApiFixture.Client(factory, Fixture.AdminKey);

        await using (var held = await factory.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
        {
            var (response, took) = await TimedAsync(() => admin.GetAsync("/api/v1/admin/producers"));

            await AssertUnavailableAsync(response, took);
            Assert.True(took >= TimeSpan.FromSeconds(2), $"answered after {took}, before the connect timeout");
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/admin/producers")).StatusCode);
    }
}
