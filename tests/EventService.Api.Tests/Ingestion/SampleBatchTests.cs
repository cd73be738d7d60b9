using System.Net;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class SampleBatchTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Posting_the_sample_batch_stores_all_8_events_and_reposting_it_reports_8_duplicates()
    {
        using var producer = await ProducerClientAsync();
        var batch = SampleBatch();

        var first = await PostJsonAsync(producer, batch);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var body = await ReadJsonAsync(first);
        Assert.Equal(8, body["accepted"]!.GetValue<int>());
        Assert.Equal(0, body["duplicates"]!.GetValue<int>());
        Assert.Equal(0, body["rejected"]!.GetValue<int>());
        var results = body["results"]!.AsArray();
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(i, results[i]!["index"]!.GetValue<int>());
            Assert.Equal(batch[i]!["id"]!.GetValue<long>(), results[i]!["id"]!.GetValue<long>());
            Assert.Equal("accepted", results[i]!["status"]!.GetValue<string>());
            Assert.Null(results[i]!["errors"]);
        }

        Assert.Equal(8, await CountEventsAsync());

        var again = await PostJsonAsync(producer, SampleBatch());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var second = await ReadJsonAsync(again);
        Assert.Equal(0, second["accepted"]!.GetValue<int>());
        Assert.Equal(8, second["duplicates"]!.GetValue<int>());
        Assert.All(second["results"]!.AsArray(), r => Assert.Equal("duplicate", r!["status"]!.GetValue<string>()));
        Assert.Equal(8, await CountEventsAsync());
    }

    [Fact]
    public async Task Each_sample_event_reads_back_by_id_with_its_fields_detail_and_extra_properties_intact()
    {
        using var producer = await ProducerClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(producer, SampleBatch())).StatusCode);
        var readers = new Dictionary<long, HttpClient>
        {
            [4711] = await OrganisationClientAsync(4711),
            [4712] = await OrganisationClientAsync(4712),
        };

        foreach (var posted in SampleBatch())
        {
            var id = posted!["id"]!.GetValue<long>();
            var response = await readers[posted["organisation"]!["id"]!.GetValue<long>()].GetAsync($"/api/v1/event/{id}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var read = (await ReadJsonAsync(response)).AsObject();

            Assert.Equal(id, read["id"]!.GetValue<long>());
            Assert.Equal(posted["description"]!.GetValue<string>(), read["description"]!.GetValue<string>());
            Assert.Equal(posted["event_type"]!["id"]!.GetValue<int>(), read["event_type"]!["id"]!.GetValue<int>());
            Assert.Equal(posted["event_severity"]!["id"]!.GetValue<int>(), read["event_severity"]!["id"]!.GetValue<int>());
            Assert.Equal(posted["event_source"]!["id"]!.GetValue<int>(), read["event_source"]!["id"]!.GetValue<int>());
            AssertJsonEqual(posted["organisation"], read["organisation"]);
            AssertJsonEqual(posted["user"], read["user"]);
            AssertJsonEqual(posted["endpoint"], read["endpoint"]);
            AssertJsonEqual(posted["imsi"], read["imsi"]);
            AssertJsonEqual(posted["detail"], read["detail"]);
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", read["timestamp"]!.GetValue<string>());
            Assert.Equal(posted["alert"]!.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? posted["alert"]!.GetValue<int>() == 1
                : posted["alert"]!.GetValue<bool>(), read["alert"]!.GetValue<bool>());
        }
    }

    [Fact]
    public async Task Read_back_normalises_what_producers_vary_and_keeps_what_they_add()
    {
        using var producer = await ProducerClientAsync();
        Assert.Equal(HttpStatusCode.OK, (await PostJsonAsync(producer, SampleBatch())).StatusCode);
        using var reader = await OrganisationClientAsync(4711);
        using var beta = await OrganisationClientAsync(4712);

        // Source given as `name`, severity as "WARN", timestamp with +0000.
        var second = await ReadJsonAsync(await reader.GetAsync("/api/v1/event/351732524384258"));
        AssertJsonEqual(JsonNode.Parse("""{"id":1,"description":"Policy Control"}"""), second["event_source"]);
        AssertJsonEqual(JsonNode.Parse("""{"id":1,"description":"Warn"}"""), second["event_severity"]);
        AssertJsonEqual(JsonNode.Parse("""{"id":3,"description":"Create PDP Context"}"""), second["event_type"]);
        Assert.Equal("2026-11-20T08:39:10.000Z", second["timestamp"]!.GetValue<string>());

        // iccid sent as a JSON number keeps its exact digits.
        var third = await ReadJsonAsync(await reader.GetAsync("/api/v1/event/351732524384259"));
        Assert.Equal("8988303000000012345", third["sim"]!["iccid"]!.GetValue<string>());

        // "2026-11-20 10:42:58" is UTC; alert 1 is true; null sub-objects read back as null.
        var fourth = await ReadJsonAsync(await beta.GetAsync("/api/v1/event/351732524384260"));
        Assert.Equal("2026-11-20T10:42:58.000Z", fourth["timestamp"]!.GetValue<string>());
        Assert.True(fourth["alert"]!.GetValue<bool>());
        Assert.Null(fourth["endpoint"]);
        Assert.Null(fourth["detail"]);

        // Unknown extra properties inside detail are kept; jsonb's spacing does not leak into the answer.
        var response = await beta.GetAsync("/api/v1/event/351732524384264");
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("kept as is", JsonNode.Parse(text)!["detail"]!["future_field"]!.GetValue<string>());
        Assert.DoesNotContain("\": ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_top_level_properties_are_kept_and_returned_as_they_came()
    {
        using var producer = await ProducerClientAsync();
        var e = ValidEvent();
        e["vendor_extension"] = new JsonObject { ["trace"] = new JsonArray(1, "two", null), ["n"] = 1.5 };

        var response = await PostJsonAsync(producer, e);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        AssertJsonEqual(e["vendor_extension"], (await ReadJsonAsync(response))["vendor_extension"]);
        using var reader = await OrganisationClientAsync(4711);
        AssertJsonEqual(e["vendor_extension"], (await ReadJsonAsync(await reader.GetAsync("/api/v1/event/1001")))["vendor_extension"]);
    }
}
