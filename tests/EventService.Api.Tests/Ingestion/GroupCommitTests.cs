using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>
/// Concurrent requests committed together: a host whose group commit waits long enough that requests posted at
/// once share one transaction.
/// </summary>
public sealed class GroupCommitTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private WebApplicationFactory<Program> Grouped(string window = "00:00:00.300") => Fixture.CreateFactory(new Dictionary<string, string?>
    {
        ["Storage:GroupCommitWindow"] = window,
    });

    [Fact]
    public async Task Concurrent_single_posts_are_committed_together_and_each_is_readable()
    {
        using var host = Grouped();
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
        using var host = Grouped();
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
        using var host = Grouped();
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
    public async Task A_request_cancelled_while_waiting_for_its_group_is_still_written_whole()
    {
        using var host = Grouped(window: "00:00:01");
        using var producer = ApiFixture.Client(host, await CreateProducerAsync());
        using var gone = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => producer.PostAsync("/api/v1/event",
            new StringContent(new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2)).ToJsonString(), Encoding.UTF8, "application/json"), gone.Token));
        // The writer takes requests in order: once a later one is committed, the abandoned one is too.
        var later = await PostJsonAsync(producer, ValidEvent(id: 3));

        Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        Assert.Equal(3, await CountEventsAsync());
    }

    [Fact]
    public async Task Many_concurrent_posts_through_the_default_settings_are_all_committed()
    {
        using var producer = await ProducerClientAsync();

        var responses = await Task.WhenAll(Enumerable.Range(1, 64).Select(i => PostJsonAsync(producer, ValidEvent(id: i))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal(64, await CountEventsAsync());
    }
}
