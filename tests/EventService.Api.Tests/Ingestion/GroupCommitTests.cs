using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// Concurrent requests committed together: a host whose group commit gathers the requests a test posts at once
/// into one transaction.
/// </summary>
public sealed class GroupCommitTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    /// <summary>
    /// A host whose group closes once it holds <paramref name="items"/> items, all that the test posts at once. The
    /// count closes it, not the window: the window (the longest allowed, wall clock in the writer) only bounds how
    /// long a slow arrival is waited for.
    /// </summary>
    private WebApplicationFactory<Program> Grouped(int items) => Fixture.CreateFactory(new Dictionary<string, string?>
    {
        ["Storage:GroupCommitWindow"] = "00:00:01",
        ["Storage:GroupCommitMaxEvents"] = items.ToString(CultureInfo.InvariantCulture),
    });

    [Fact]
    public async Task Concurrent_single_posts_are_committed_together_and_each_is_readable()
    {
        using var host = Grouped(items: 40);
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());

        var responses = await Task.WhenAll(Enumerable.Range(1, 40).Select(i => PostJsonAsync(producer, ValidEvent(id: i))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(40, await CountEventsAsync());
        // Rows committed by one transaction share its xmin: fewer transactions than requests.
        Assert.True(await Fixture.QueryScalarAsync<long>("SELECT count(DISTINCT xmin::text) FROM events") < 40);
        using var reader = await OrganisationClientAsync(4711);
        foreach (var i in new[] { 1, 20, 40 })
        {
            var read = await reader.GetAsync($"/api/v1/event/{i}");
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(i, (await ReadJsonAsync(read))["id"]!.GetValue<long>());
        }
    }

    [Fact]
    public async Task A_database_failure_of_one_request_in_a_group_fails_only_that_request()
    {
        using var host = Grouped(items: 13); // 10 singles, boom, and a batch of one good and one bad item
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        var boom = ValidEvent(id: 999); // the largest id: the combined insert reaches it after every good row
        boom["description"] = "boom";
        var invalid = ValidEvent(id: 31);
        invalid["event_type"] = new JsonObject { ["id"] = 9999 };
        await Fixture.ExecuteAsync(
            """
            CREATE SEQUENCE test_attempts;
            CREATE OR REPLACE FUNCTION test_fail_on_boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM nextval('test_attempts'); -- not rolled back: counts every row insert tried
                IF NEW.description = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER test_fail_on_boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION test_fail_on_boom();
            """);
        try
        {
            var posts = Enumerable.Range(1, 10).Select(i => PostJsonAsync(producer, ValidEvent(id: i)))
                .Append(PostJsonAsync(producer, boom))
                .Append(PostJsonAsync(producer, new JsonArray(ValidEvent(id: 30), invalid)))
                .ToArray();
            var responses = await Task.WhenAll(posts);

            Assert.All(responses[..10], r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
            await AssertProblemAsync(responses[10], HttpStatusCode.InternalServerError, "urn:eventservice:problem:internal");
            Assert.Equal(HttpStatusCode.OK, responses[11].StatusCode);
            Assert.Equal(11, await CountEventsAsync());
            Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM events WHERE id = 999"));
            Assert.Equal(1, await CountQuarantineAsync());
            // More inserts were tried than the 11 good rows and boom alone: the group was tried together first.
            Assert.True(await Fixture.QueryScalarAsync<long>("SELECT last_value FROM test_attempts") > 12);
        }
        finally
        {
            await Fixture.ExecuteAsync("DROP TRIGGER test_fail_on_boom ON events; DROP FUNCTION test_fail_on_boom(); DROP SEQUENCE test_attempts;");
        }
    }

    [Fact]
    public async Task The_same_event_from_concurrent_requests_is_accepted_once_and_a_duplicate_for_the_rest()
    {
        using var host = Grouped(items: 14); // 8 singles and two batches of 3
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());

        var singles = Enumerable.Range(0, 8).Select(_ => PostJsonAsync(producer, ValidEvent(id: 7))).ToArray();
        var first = PostJsonAsync(producer, new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2), ValidEvent(id: 3)));
        var second = PostJsonAsync(producer, new JsonArray(ValidEvent(id: 3), ValidEvent(id: 4), ValidEvent(id: 5)));
        var responses = await Task.WhenAll(singles);
        var arrays = new[] { await ReadJsonAsync(await first), await ReadJsonAsync(await second) };

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var duplicate in responses.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            Assert.Equal(7, (await ReadJsonAsync(duplicate))["id"]!.GetValue<long>()); // the stored event, read back
        }

        Assert.Equal(5, arrays.Sum(a => a["accepted"]!.GetValue<int>()));
        Assert.Equal(1, arrays.Sum(a => a["duplicates"]!.GetValue<int>()));
        Assert.Equal(6, await CountEventsAsync());
    }

    [Fact]
    public async Task A_request_whose_client_gives_up_after_the_hand_over_is_still_written_whole()
    {
        using var producer = await ProducerClientAsync();
        // A lock that this test holds stops the writer at the insert: once the writer waits for it, the request has
        // been handed over, and only then does the client give up.
        await using var holder = await OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockEvents = new NpgsqlCommand("LOCK TABLE events IN SHARE MODE", holder, hold))
        {
            await lockEvents.ExecuteNonQueryAsync();
        }

        using var gone = new CancellationTokenSource();
        var abandoned = producer.PostAsync("/api/v1/event",
            new StringContent(new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2)).ToJsonString(), Encoding.UTF8, "application/json"), gone.Token);
        await WaitUntilSomeoneWaitsForAsync(holder);
        await gone.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await hold.RollbackAsync();

        // The writer takes requests in order: once a later one is committed, the abandoned one is too.
        var later = await PostJsonAsync(producer, ValidEvent(id: 3));

        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.Equal(3, await CountEventsAsync());
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(Fixture.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>Returns once another session waits for a lock that <paramref name="holder"/> holds.</summary>
    private async Task WaitUntilSomeoneWaitsForAsync(NpgsqlConnection holder)
    {
        // Asked from a connection of its own: a transaction sees pg_stat_activity as it was when it first looked.
        await using var observer = await OpenAsync();
        await using var blocked = new NpgsqlCommand("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE @holder = ANY(pg_blocking_pids(pid)))", observer);
        blocked.Parameters.AddWithValue("holder", holder.ProcessID);
        for (var polls = 0; !(bool)(await blocked.ExecuteScalarAsync())!; polls++)
        {
            Assert.True(polls < 3000, "the writer never reached the locked table");
            await Task.Delay(TimeSpan.FromMilliseconds(10)); // a backoff between looks, not a wait for time to pass
        }
    }
}
