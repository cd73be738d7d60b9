using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Retention;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Retention;

/// <summary>
/// The purge trusts no instance's configuration or clock: the period is the one stored in the database (seeded from
/// configuration, changed by the admin API), the cutoff comes from the database's clock, and an instance whose
/// configuration or clock disagrees refuses to purge and says why.
/// </summary>
public sealed class RetentionPolicyTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private static readonly DateTimeOffset Start = ApiFixture.Start;

    private RetentionJob Job => Fixture.Factory.Services.GetRequiredService<RetentionJob>();

    [Fact]
    public async Task An_instance_configured_with_a_shorter_period_serves_with_the_stored_one_and_does_not_purge_and_says_why()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(1, Start.AddDays(-2)));

        await using var other = Fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "1.00:00:00" });
        await other.Services.GetRequiredService<RetentionJob>().FirstRound;

        Assert.Equal(1L, await CountEventsAsync());
        using var otherAdmin = ApiFixture.Client(other, Fixture.AdminKey);
        var status = await ReadJsonAsync(await otherAdmin.GetAsync("/api/v1/admin/retention"));
        Assert.Equal("30.00:00:00", status["period"]!.GetValue<string>());
        Assert.Equal("1.00:00:00", status["configured_period"]!.GetValue<string>());
        Assert.Equal(Start.AddDays(-30), status["cutoff"]!.GetValue<DateTimeOffset>());
        const string why = "this instance's Retention:Period 1.00:00:00 differs from the stored period 30.00:00:00";
        Assert.StartsWith(why, status["purge_blocked"]!.GetValue<string>());
        Assert.StartsWith(why, status["last_run"]!["purge_blocked"]!.GetValue<string>());
        Assert.Equal(0, status["last_run"]!["partitions_dropped"]!.GetValue<int>());
        using var admin = Fixture.AdminClient();
        Assert.Equal("30.00:00:00", (await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention")))["period"]!.GetValue<string>());

        // It still serves, with the stored period: a five-day-old event is inside the window.
        using var otherProducer = ApiFixture.Client(other, await CreateProducerAsync(name: "other"));
        await PostAcceptedAsync(otherProducer, EventAt(2, Start.AddDays(-5)));

        var logs = new FakeLogCollector();
        var purger = ActivatorUtilities.CreateInstance<RetentionPurger>(other.Services, new FakeLogger<RetentionPurger>(logs));
        var run = await purger.PurgeAsync(CancellationToken.None);

        Assert.StartsWith(why, run.PurgeBlocked);
        Assert.Equal(2L, await CountEventsAsync());
        var warning = Assert.Single(logs.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.StartsWith("Retention: this instance refuses to purge: " + why, warning.Message);
    }

    [Fact]
    public async Task The_admin_sets_the_period_for_every_instance_and_ingest_follows_it()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(1, Start.AddDays(-20)));
        await using var other = Fixture.CreateFactory();
        await other.Services.GetRequiredService<RetentionJob>().FirstRound;
        using var admin = Fixture.AdminClient();

        var response = await PutAsync(admin, """{"period":"10.00:00:00"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = await ReadJsonAsync(response);
        Assert.Equal("10.00:00:00", status["period"]!.GetValue<string>());
        Assert.Equal(Start.AddDays(-10), status["cutoff"]!.GetValue<DateTimeOffset>());
        Assert.Equal(TimeSpan.FromDays(10), await Fixture.QueryScalarAsync<TimeSpan>("SELECT period FROM retention_settings"));

        // This instance's ingest follows at once.
        var old = await AssertProblemAsync(await PostJsonAsync(producer, EventAt(2, Start.AddDays(-15))),
            HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.Equal("is older than the retention period (10 days)", old["errors"]!["timestamp"]![0]!.GetValue<string>());
        await PostAcceptedAsync(producer, EventAt(3, Start.AddDays(-5)));

        // Another instance reads it in its next round; configured for 30 days, it then serves with 10 and does not purge.
        var otherWindow = other.Services.GetRequiredService<RetentionWindow>();
        Assert.Equal(TimeSpan.FromDays(30), otherWindow.Period);
        var otherRun = (await other.Services.GetRequiredService<RetentionJob>().RunRoundAsync(CancellationToken.None))!;
        Assert.Equal(TimeSpan.FromDays(10), otherWindow.Period);
        Assert.Contains("Retention:Period 30.00:00:00 differs from the stored period 10.00:00:00", otherRun.PurgeBlocked);
        Assert.Equal(2L, await CountEventsAsync());

        // An instance configured as stored purges with it.
        await using var agreeing = Fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Period"] = "10.00:00:00" });
        await agreeing.Services.GetRequiredService<RetentionJob>().FirstRound;
        using var agreeingAdmin = ApiFixture.Client(agreeing, Fixture.AdminKey);
        var run = await ReadJsonAsync(await agreeingAdmin.GetAsync("/api/v1/admin/retention"));
        Assert.Null(run["purge_blocked"]);
        Assert.Null(run["last_run"]!["purge_blocked"]);
        Assert.Equal(Start.AddDays(-10), run["last_run"]!["cutoff"]!.GetValue<DateTimeOffset>());
        Assert.Equal("3", await Fixture.QueryScalarAsync<string>("SELECT string_agg(id::text, ',') FROM events"));

        Assert.Equal(HttpStatusCode.OK, (await PutAsync(admin, """{"period":"30.00:00:00"}""")).StatusCode);
        await PostAcceptedAsync(producer, EventAt(2, Start.AddDays(-15)));
    }

    [Theory]
    [InlineData("""{"period":"23:59:59"}""", "must lie between 1.00:00:00 (a day) and 3650.00:00:00")]
    [InlineData("""{"period":"3650.00:00:01"}""", "must lie between 1.00:00:00 (a day) and 3650.00:00:00")]
    [InlineData("""{"period":"30 days"}""", "must be a duration as d.hh:mm:ss, such as 30.00:00:00")]
    [InlineData("""{}""", "must be a duration as d.hh:mm:ss, such as 30.00:00:00")]
    public async Task A_period_under_a_day_over_ten_years_or_not_a_duration_is_refused(string body, string message)
    {
        using var admin = Fixture.AdminClient();

        var problem = await AssertProblemAsync(await PutAsync(admin, body), HttpStatusCode.BadRequest, "urn:eventservice:problem:validation");

        Assert.Equal(message, problem["errors"]!["period"]![0]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromDays(30), await Fixture.QueryScalarAsync<TimeSpan>("SELECT period FROM retention_settings"));
    }

    [Fact]
    public async Task A_database_clock_two_minutes_away_refuses_the_purge_and_the_admin_view_says_so()
    {
        using var producer = await ProducerClientAsync();
        await PostAcceptedAsync(producer, EventAt(1, Start.AddHours(-1)));
        Fixture.Time.Advance(TimeSpan.FromDays(31));
        Fixture.DatabaseClock.Skew = TimeSpan.FromMinutes(-2);

        var refused = await RoundAsync();

        Assert.Contains("this instance's clock is 00:02:00 ahead of the database's", refused.PurgeBlocked);
        Assert.Contains("more than Retention:MaxClockSkew 00:01:00", refused.PurgeBlocked);
        Assert.Equal(0, refused.PartitionsDropped);
        Assert.Equal(1L, await CountEventsAsync());
        using var admin = Fixture.AdminClient();
        var status = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention"));
        Assert.Contains("00:02:00 ahead of the database's", status["purge_blocked"]!.GetValue<string>());
        Assert.Contains("00:02:00 ahead of the database's", status["last_run"]!["purge_blocked"]!.GetValue<string>());

        // Within the bound the purge runs, with the cutoff by the database's clock.
        Fixture.DatabaseClock.Skew = TimeSpan.FromSeconds(30);
        var worked = await RoundAsync();

        Assert.Null(worked.PurgeBlocked);
        Assert.Null(worked.Error);
        Assert.Equal(Fixture.Time.GetUtcNow() + TimeSpan.FromSeconds(30) - TimeSpan.FromDays(30), worked.Cutoff);
        Assert.Equal(0L, await CountEventsAsync());
        Assert.Null((await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention")))["purge_blocked"]);
    }

    [Fact]
    public async Task With_PostgreSQLs_own_clock_an_instance_days_off_refuses_and_at_equal_clocks_purges_by_it()
    {
        await using var real = Fixture.CreateFactory(realDatabaseClock: true);
        await real.Services.GetRequiredService<RetentionJob>().FirstRound; // the test clock is at Start, days behind PostgreSQL's
        using var admin = ApiFixture.Client(real, Fixture.AdminKey);
        var status = await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/retention"));
        Assert.Contains("behind the database's", status["purge_blocked"]!.GetValue<string>());
        Assert.Contains("behind the database's", status["last_run"]!["purge_blocked"]!.GetValue<string>());

        // Set the test clock to PostgreSQL's: an event a month older than that goes, one an hour old stays.
        var now = await DatabaseNowAsync();
        Fixture.Clock.Reset(now);
        await real.Services.GetRequiredService<EventPartitions>().EnsureAsync(now, null, CancellationToken.None);
        await InsertAsync(1, Start.AddDays(-29)); // in the fixture's partitions, and older than PostgreSQL's now minus 30 days
        using var producer = ApiFixture.Client(real, await CreateProducerAsync());
        await PostAcceptedAsync(producer, ValidEvent(2, age: ApiFixture.Start - now.AddHours(-1)));

        var before = await DatabaseNowAsync();
        var run = (await real.Services.GetRequiredService<RetentionJob>().RunRoundAsync(CancellationToken.None))!;
        var after = await DatabaseNowAsync();

        Assert.Null(run.PurgeBlocked);
        Assert.Null(run.Error);
        Assert.InRange(run.Cutoff, before.AddDays(-30), after.AddDays(-30));
        Assert.Equal("2", await Fixture.QueryScalarAsync<string>("SELECT string_agg(id::text, ',') FROM events"));
    }

    private async Task<RetentionRun> RoundAsync() => (await Job.RunRoundAsync(CancellationToken.None))!;

    private static Task<HttpResponseMessage> PutAsync(HttpClient admin, string body) =>
        admin.PutAsync("/api/v1/admin/retention", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    private static JsonObject EventAt(long id, DateTimeOffset timestamp) => ValidEvent(id, age: Start - timestamp);

    private static async Task PostAcceptedAsync(HttpClient producer, JsonObject e)
    {
        var response = await PostJsonAsync(producer, e);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    private async Task<DateTimeOffset> DatabaseNowAsync() =>
        new(await Fixture.QueryScalarAsync<DateTime>("SELECT clock_timestamp()"), TimeSpan.Zero);

    private Task InsertAsync(long id, DateTimeOffset timestamp) => Fixture.ExecuteAsync(
        $"""
        INSERT INTO events (id, "timestamp", received_at, event_type_id, severity, source, alert, organisation_id, entities)
        VALUES ({id}, '{timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}+00', now(), 1, 0, 0, false, 4711, '{"{"}{"}"}')
        """);
}
