using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

/// <summary>The bound on one event: <c>Ingestion:MaxEventBytes</c>, and every property and array element counted.</summary>
public sealed class EventSizeTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private const int DefaultMaxEventBytes = 65536;

    /// <summary>A valid event with an extra array of 4000-character strings, about 80 KB: each string and the count are within their limits.</summary>
    private static JsonObject OversizedEvent(long id)
    {
        var e = ValidEvent(id: id);
        var blob = new JsonArray();
        for (var i = 0; i < 20; i++)
        {
            blob.Add(new string((char)('a' + i), 4000));
        }

        e["blob"] = blob;
        return e;
    }

    [Fact]
    public async Task A_single_event_larger_than_the_bound_is_a_422_at_the_root_naming_the_limit_and_is_quarantined()
    {
        using var producer = await ProducerClientAsync();
        var json = OversizedEvent(id: 42).ToJsonString();

        var response = await PostJsonAsync(producer, json);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["$"], errors.Select(e => e.Key));
        var message = Assert.Single(errors["$"]!.AsArray())!.GetValue<string>();
        Assert.Contains($"at most {DefaultMaxEventBytes} bytes", message);
        Assert.Contains($"this one is {Encoding.UTF8.GetByteCount(json)}", message);
        Assert.Equal(42, problem["id"]!.GetValue<long>());
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_batch_with_one_oversized_item_stores_the_others_and_quarantines_that_item_cut_short()
    {
        using var producer = await ProducerClientAsync();
        var batch = new JsonArray(ValidEvent(id: 1), OversizedEvent(id: 2), ValidEvent(id: 3, age: TimeSpan.FromHours(2)));

        var response = await PostJsonAsync(producer, batch);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body["accepted"]!.GetValue<int>());
        Assert.Equal(1, body["rejected"]!.GetValue<int>());
        var results = body["results"]!.AsArray();
        Assert.Equal(["accepted", "rejected", "accepted"], results.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal(2, results[1]!["id"]!.GetValue<long>());
        var errors = results[1]!["errors"]!.AsObject();
        Assert.Equal(["$"], errors.Select(e => e.Key));
        Assert.Contains($"at most {DefaultMaxEventBytes} bytes", errors["$"]![0]!.GetValue<string>());

        using var reader = await OrganisationClientAsync(4711);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event/1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event/3")).StatusCode);
        await AssertProblemAsync(await reader.GetAsync("/api/v1/event/2"), HttpStatusCode.NotFound, "urn:eventservice:problem:not-found");

        using var admin = Fixture.AdminClient();
        var quarantined = Assert.Single((await ReadJsonAsync(await admin.GetAsync("/api/v1/admin/quarantine"))).AsArray())!;
        Assert.Equal(2, quarantined["event_id"]!.GetValue<long>());
        Assert.True(quarantined["errors"]!.AsObject().ContainsKey("$"));
        Assert.True(quarantined["payload_truncated"]!.GetValue<bool>());
        Assert.True(quarantined["payload"]!.GetValue<string>().Length <= 64 * 1024); // Ingestion:MaxQuarantinePayloadChars
    }

    [Fact]
    public async Task The_bound_is_set_by_Ingestion_MaxEventBytes()
    {
        using var small = Fixture.CreateFactory(new Dictionary<string, string?> { ["Ingestion:MaxEventBytes"] = "2048" });
        using var producer = ApiFixture.Client(small, await CreateProducerAsync());
        var fits = ValidEvent(id: 1);
        fits["note"] = "";
        fits["note"] = new string('x', 2048 - Encoding.UTF8.GetByteCount(fits.ToJsonString()));
        Assert.Equal(2048, Encoding.UTF8.GetByteCount(fits.ToJsonString()));
        var over = ValidEvent(id: 2);
        over["note"] = fits["note"]!.GetValue<string>() + "x";

        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, fits)).StatusCode);
        var problem = await AssertProblemAsync(await PostJsonAsync(producer, over), HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.Contains("at most 2048 bytes", problem["errors"]!["$"]![0]!.GetValue<string>());
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task A_small_event_with_a_long_array_is_a_422_at_the_array()
    {
        using var producer = await ProducerClientAsync();
        var withHistory = ValidEvent(id: 7);
        withHistory["sim"]!["history"] = new JsonArray([.. Enumerable.Range(0, 600).Select(i => (JsonNode)i)]);
        Assert.True(Encoding.UTF8.GetByteCount(withHistory.ToJsonString()) < DefaultMaxEventBytes);

        var response = await PostJsonAsync(producer, withHistory);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["sim.history"], errors.Select(e => e.Key));
        Assert.Contains("at most 512", errors["sim.history"]![0]!.GetValue<string>());
        Assert.Equal(0, await CountEventsAsync());
    }
}
