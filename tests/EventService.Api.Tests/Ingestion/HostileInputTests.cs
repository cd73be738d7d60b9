using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class HostileInputTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Theory]
    [InlineData("description")]
    [InlineData("detail")]
    public async Task A_body_with_invalid_utf8_is_a_400_and_stores_nothing(string where)
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent().ToJsonString().Replace(where == "detail" ? "Vodafone" : "Update location", "bad\u00ffX", StringComparison.Ordinal);
        var bytes = Encoding.UTF8.GetBytes(json);
        var marker = Array.IndexOf(bytes, (byte)0xC3); // ÿ is C3 BF in UTF-8: cut it in half
        Assert.True(marker > 0);
        bytes[marker + 1] = (byte)'X';
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await producer.PostAsync("/api/v1/event", content);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:malformed-json");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Fact]
    public async Task A_utf8_byte_order_mark_is_tolerated()
    {
        using var producer = await ProducerClientAsync();
        var content = new ByteArrayContent([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(ValidEvent().ToJsonString())]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await producer.PostAsync("/api/v1/event", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_number_postgresql_cannot_store_rejects_its_item_and_not_the_batch()
    {
        using var producer = await ProducerClientAsync();
        var json = new JsonArray(ValidEvent(id: 1), ValidEvent(id: 2)).ToJsonString();
        var lastVodafone = json.LastIndexOf("\"Vodafone\"", StringComparison.Ordinal);
        json = json[..lastVodafone] + "1e200000" + json[(lastVodafone + "\"Vodafone\"".Length)..];

        var response = await PostJsonAsync(producer, json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(1, body["accepted"]!.GetValue<int>());
        Assert.True(body["results"]![1]!["errors"]!.AsObject().ContainsKey("detail.name"));
        Assert.Equal(1, await CountEventsAsync());
    }

    [Fact]
    public async Task A_NUL_in_a_property_name_never_comes_back_or_reaches_the_quarantine_as_NUL()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent().ToJsonString().Replace("\"Vodafone\"", "\"Vodafone\",\"bad\\u0000name\":1", StringComparison.Ordinal);

        var response = await PostJsonAsync(producer, json);

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.DoesNotContain("\\u0000", text, StringComparison.Ordinal);
        Assert.Equal(0, await Fixture.QueryScalarAsync<long>("SELECT count(*) FROM quarantine WHERE errors::text LIKE '%\\u0000%'"));
        Assert.Equal(1, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_flood_of_bad_items_keeps_the_quarantine_within_its_bound()
    {
        using var small = Fixture.CreateFactory(new Dictionary<string, string?> { ["Storage:QuarantineMaxRows"] = "3" });
        using var producer = ApiFixture.Client(small, await CreateProducerAsync());
        var batch = new JsonArray();
        for (var i = 1; i <= 10; i++)
        {
            var bad = ValidEvent(id: i);
            bad.Remove("organisation");
            batch.Add(bad);
        }

        await PostJsonAsync(producer, batch);
        await PostJsonAsync(producer, batch.DeepClone());

        Assert.Equal(3, await CountQuarantineAsync());
    }

    [Fact]
    public async Task When_postgresql_cannot_serve_a_request_the_answer_is_a_503_with_retry_after()
    {
        var token = await CreateProducerAsync();
        using var starved = Fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Events"] = Fixture.ConnectionString + ";Maximum Pool Size=1;Timeout=1",
        });
        using var producer = ApiFixture.Client(starved, token);
        // The retention job's startup round takes the one pooled connection; on a busy machine for over a second.
        await starved.Services.GetRequiredService<EventService.Api.Retention.RetentionJob>().FirstRound;
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);
        var dataSource = (Npgsql.NpgsqlDataSource)starved.Services.GetService(typeof(Npgsql.NpgsqlDataSource))!;

        HttpResponseMessage response;
        await using (await dataSource.OpenConnectionAsync())
        {
            response = await PostJsonAsync(producer, ValidEvent(id: 2));
        }

        await AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "urn:eventservice:problem:database-unavailable");
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 3))).StatusCode);
    }
}
