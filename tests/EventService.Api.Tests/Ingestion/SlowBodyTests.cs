using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EventService.Api.Infrastructure;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// Posts whose body stops half-way: a deadline by the host's clock (moved, never waited for), and a bound on the
/// posts one credential has in flight.
/// </summary>
public sealed class SlowBodyTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(7);

    private const int InFlight = 2;

    private WebApplicationFactory<Program> host = null!;

    private BodyDeadlines deadlines = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        deadlines = new BodyDeadlines(Fixture.Clock, Timeout);
        host = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["Ingestion:BodyReadTimeout"] = "00:00:07",
            ["Ingestion:MaxConcurrentRequestsPerCredential"] = InFlight.ToString(),
            ["Retention:Enabled"] = "false",
        }).WithWebHostBuilder(builder => builder.ConfigureServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(deadlines);
        }));
    }

    public override async Task DisposeAsync()
    {
        await host.DisposeAsync();
        await base.DisposeAsync();
    }

    /// <summary>A client that streams request bodies (the default test client buffers them whole, to replay on a redirect).</summary>
    private async Task<HttpClient> StreamingProducerAsync(string name = "test-producer")
    {
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await CreateProducerAsync(name: name));
        return client;
    }

    [Fact]
    public async Task A_body_still_incomplete_at_the_deadline_is_a_408_problem_and_nothing_is_written()
    {
        using var producer = await StreamingProducerAsync();
        await using var body = new HalfSentBody(ValidEvent(id: 1).ToJsonString());
        var post = producer.PostAsync("/api/v1/event", body.Content);
        await deadlines.Started.WaitAsync(TimeSpan.FromSeconds(30)); // the server is reading the body

        Fixture.Time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(post.IsCompleted);
        Fixture.Time.Advance(TimeSpan.FromMilliseconds(1));

        var response = await post.WaitAsync(TimeSpan.FromSeconds(30));
        var problem = await AssertProblemAsync(response, HttpStatusCode.RequestTimeout, ProblemTypes.RequestTimeout);
        Assert.Contains("7 seconds", problem["detail"]!.GetValue<string>());
        Assert.True(response.Headers.ConnectionClose, "the connection is kept open for a client still sending");
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(0, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_body_that_completes_before_the_deadline_is_stored()
    {
        using var producer = await StreamingProducerAsync();
        await using var body = new HalfSentBody(ValidEvent(id: 1).ToJsonString());
        var post = producer.PostAsync("/api/v1/event", body.Content);
        await deadlines.Started.WaitAsync(TimeSpan.FromSeconds(30));
        Fixture.Time.Advance(Timeout - TimeSpan.FromSeconds(1));

        await body.SendRestAsync();

        Assert.Equal(HttpStatusCode.Created, (await post.WaitAsync(TimeSpan.FromSeconds(30))).StatusCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task A_credential_with_its_most_posts_in_flight_gets_a_429_while_another_credential_goes_on()
    {
        using var busy = await StreamingProducerAsync("busy");
        using var other = await StreamingProducerAsync("other");
        var bodies = Enumerable.Range(1, InFlight).Select(i => new HalfSentBody(ValidEvent(id: i).ToJsonString())).ToList();
        var posts = bodies.Select(b => busy.PostAsync("/api/v1/event", b.Content)).ToList();
        for (var i = 0; i < InFlight; i++)
        {
            await deadlines.Started.WaitAsync(TimeSpan.FromSeconds(30)); // each holds its permit while its body trickles
        }

        var refused = await PostJsonAsync(busy, ValidEvent(id: 10));

        var problem = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests, ProblemTypes.RateLimited);
        Assert.Equal("1", Assert.Single(refused.Headers.GetValues("Retry-After")));
        Assert.Contains("in flight", problem["detail"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(other, ValidEvent(id: 11))).StatusCode);

        // One finishes: its permit is free again.
        await bodies[0].SendRestAsync();
        Assert.Equal(HttpStatusCode.Created, (await posts[0].WaitAsync(TimeSpan.FromSeconds(30))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(busy, ValidEvent(id: 12))).StatusCode);

        await bodies[1].SendRestAsync();
        Assert.Equal(HttpStatusCode.Created, (await posts[1].WaitAsync(TimeSpan.FromSeconds(30))).StatusCode);
        Assert.Equal(4, await CountEventsAsync());
        foreach (var body in bodies)
        {
            await body.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_ingest_endpoint_asks_the_server_for_its_minimum_body_data_rate_and_other_endpoints_do_not()
    {
        var rates = new List<(string Path, MinDataRate? Rate)>();
        await using var recorded = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["Ingestion:MinBodyDataRate"] = "5000",
            ["Ingestion:MinBodyDataRateGracePeriod"] = "00:00:03",
            ["Retention:Enabled"] = "false",
        }).WithWebHostBuilder(builder => builder.ConfigureServices(services =>
            services.AddSingleton<IStartupFilter>(new RecordMinDataRate(rates))));
        using var producer = ApiFixture.Client(recorded, await CreateProducerAsync());

        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await producer.GetAsync("/api/v1/event/type")).StatusCode);

        var (path, rate) = rates[0];
        Assert.Equal("/api/v1/event", path);
        Assert.Equal(5000, rate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(3), rate.GracePeriod);
        Assert.Equal(("/api/v1/event/type", (MinDataRate?)Kestrels), rates[1]);
    }

    /// <summary>Kestrel's own default for every request (240 bytes per second after 5 s).</summary>
    private static readonly MinDataRate Kestrels = new(240, TimeSpan.FromSeconds(5));

    /// <summary>Gives each request Kestrel's minimum-data-rate feature (TestServer has none) and records what the endpoint left in it.</summary>
    private sealed class RecordMinDataRate(List<(string Path, MinDataRate? Rate)> rates) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                var feature = new MinDataRateFeature { MinDataRate = Kestrels };
                context.Features.Set<IHttpMinRequestBodyDataRateFeature>(feature);
                await inner(context);
                rates.Add((context.Request.Path, feature.MinDataRate));
            });
            next(app);
        };
    }

    private sealed class MinDataRateFeature : IHttpMinRequestBodyDataRateFeature
    {
        public MinDataRate? MinDataRate { get; set; }
    }

    /// <summary>A JSON body of which the first half is sent at once and the rest only when the test says.</summary>
    private sealed class HalfSentBody : IAsyncDisposable
    {
        private readonly Pipe pipe = new();
        private readonly byte[] rest;

        public HalfSentBody(string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            var half = bytes.Length / 2;
            rest = bytes[half..];
            pipe.Writer.WriteAsync(bytes.AsMemory(0, half)).AsTask().GetAwaiter().GetResult();
            Content = new StreamContent(pipe.Reader.AsStream());
            Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        public HttpContent Content { get; }

        public async Task SendRestAsync()
        {
            await pipe.Writer.WriteAsync(rest);
            await pipe.Writer.CompleteAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await pipe.Writer.CompleteAsync();
            Content.Dispose();
        }
    }

    /// <summary>The host's clock, which also tells when the server starts a body deadline (a timer of exactly that length).</summary>
    private sealed class BodyDeadlines(TimeProvider clock, TimeSpan timeout) : TimeProvider
    {
        private readonly SemaphoreSlim started = new(0);

        public SemaphoreSlimAwaiter Started => new(started);

        public override DateTimeOffset GetUtcNow() => clock.GetUtcNow();

        public override long GetTimestamp() => clock.GetTimestamp();

        public override long TimestampFrequency => clock.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => clock.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = clock.CreateTimer(callback, state, dueTime, period);
            if (dueTime == timeout)
            {
                started.Release();
            }

            return timer;
        }
    }

    private readonly struct SemaphoreSlimAwaiter(SemaphoreSlim semaphore)
    {
        public async Task WaitAsync(TimeSpan atMost)
        {
            Assert.True(await semaphore.WaitAsync(atMost), "the server never started reading the body");
        }
    }
}
