using System.Net;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Query;

/// <summary>Loads <see cref="QueryDataSet"/> before each test and reads lists as a client does.</summary>
public abstract class ListTestBase(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    protected HttpClient Acme { get; private set; } = null!;

    protected HttpClient Beta { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var producer = await ProducerClientAsync();
        var response = await PostJsonAsync(producer, QueryDataSet.Events());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(10, (await ReadJsonAsync(response))["accepted"]!.GetValue<int>());
        Acme = await OrganisationClientAsync(QueryDataSet.Acme, "Acme Fleet");
        Beta = await OrganisationClientAsync(QueryDataSet.Beta, "Beta Meters");
    }

    public override Task DisposeAsync()
    {
        Acme.Dispose();
        Beta.Dispose();
        return base.DisposeAsync();
    }

    /// <summary>GETs a list, asserts a 200 with a JSON array, and returns the ids in order with the response.</summary>
    protected static async Task<(long[] Ids, HttpResponseMessage Response)> ListAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var ids = System.Text.Json.Nodes.JsonNode.Parse(text)!.AsArray().Select(e => e!["id"]!.GetValue<long>()).ToArray();
        return (ids, response);
    }

    protected static string Header(HttpResponseMessage response, string name) => response.Headers.GetValues(name).Single();
}
