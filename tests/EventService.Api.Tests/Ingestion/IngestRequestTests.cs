using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EventService.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Ingestion;

public sealed class IngestRequestTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task Posting_without_a_credential_is_a_401_with_a_bearer_challenge()
    {
        using var anonymous = Fixture.Client();

        var response = await PostJsonAsync(anonymous, ValidEvent());

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Theory]
    [InlineData("esp_not-a-real-token")]
    [InlineData("something-else")]
    public async Task Posting_with_an_unknown_token_is_a_401(string token)
    {
        using var client = Fixture.Client(token);

        var response = await PostJsonAsync(client, ValidEvent());

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
    }

    [Fact]
    public async Task A_malformed_authorization_header_is_a_401()
    {
        using var client = Fixture.Client();
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic abc");

        var response = await PostJsonAsync(client, ValidEvent());

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_producer_token_stops_working_at_once()
    {
        var token = await CreateProducerAsync();
        using var producer = Fixture.Client(token);
        Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1))).StatusCode);
        using var admin = Fixture.AdminClient();

        var revoke = await admin.DeleteAsync("/api/v1/admin/producers/1");
        var after = await PostJsonAsync(producer, ValidEvent(id: 2));

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await AssertProblemAsync(after, HttpStatusCode.Unauthorized);
        Assert.Equal(1, await CountEventsAsync());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_body_that_is_not_json_is_a_415(string contentType)
    {
        using var producer = await ProducerClientAsync();

        var response = await producer.PostAsync("/api/v1/event",
            new StringContent(ValidEvent().ToJsonString(), Encoding.UTF8, contentType));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "urn:eventservice:problem:unsupported-media-type");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Fact]
    public async Task A_body_without_content_type_is_a_415()
    {
        using var producer = await ProducerClientAsync();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ValidEvent().ToJsonString()));

        var response = await producer.PostAsync("/api/v1/event", content);

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "urn:eventservice:problem:unsupported-media-type");
    }

    [Fact]
    public async Task Json_with_a_charset_parameter_is_accepted()
    {
        using var producer = await ProducerClientAsync();
        var content = new StringContent(ValidEvent().ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

        var response = await producer.PostAsync("/api/v1/event", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"id\": 1,")]
    [InlineData("not json")]
    [InlineData("{\"id\": 1} trailing")]
    public async Task Malformed_json_is_a_400(string body)
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, body);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:malformed-json");
        Assert.Equal(0, await CountQuarantineAsync());
    }

    [Theory]
    [InlineData("\"an event\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task A_body_that_is_neither_an_object_nor_an_array_is_a_400(string body)
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, body);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:invalid-body");
    }

    [Fact]
    public async Task A_body_over_10_MB_is_a_413_and_stores_nothing()
    {
        using var producer = await ProducerClientAsync();
        var e = ValidEvent();
        e["padding"] = new string('x', 10 * 1024 * 1024);

        var response = await PostJsonAsync(producer, e);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "urn:eventservice:problem:payload-too-large");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Fact]
    public async Task A_body_over_the_limit_without_content_length_is_a_413()
    {
        using var producer = await ProducerClientAsync();
        var bytes = Encoding.UTF8.GetBytes("[" + string.Join(",", Enumerable.Repeat(ValidEvent().ToJsonString(), 30_000)) + "]");
        var content = new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await producer.PostAsync("/api/v1/event", content);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "urn:eventservice:problem:payload-too-large");
    }

    [Fact]
    public async Task Nesting_beyond_what_json_parsing_takes_is_a_400_and_moderate_depth_a_field_error()
    {
        using var producer = await ProducerClientAsync();
        var deep = WithDetail(Nested(100));
        var moderate = WithDetail(Nested(30));
        Assert.Contains("{\"a\":{\"a\":", deep, StringComparison.Ordinal);

        var tooDeep = await PostJsonAsync(producer, deep);
        var fieldError = await PostJsonAsync(producer, moderate);

        await AssertProblemAsync(tooDeep, HttpStatusCode.BadRequest, "urn:eventservice:problem:malformed-json");
        await AssertProblemAsync(fieldError, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.Equal(0, await CountEventsAsync());
    }

    [Theory]
    [InlineData("{\"id\":1,\"id\":2}")]
    [InlineData("[{\"a\":1,\"detail\":{\"x\":1,\"x\":2}}]")]
    public async Task Duplicate_property_names_are_a_400_and_nothing_is_stored(string body)
    {
        using var producer = await ProducerClientAsync();

        var response = await PostJsonAsync(producer, body);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "urn:eventservice:problem:malformed-json");
        Assert.Equal(0, await CountQuarantineAsync());
    }

    [Fact]
    public async Task A_lone_surrogate_is_rejected_as_a_field_error_and_never_reaches_postgresql()
    {
        using var producer = await ProducerClientAsync();
        var json = ValidEvent().ToJsonString().Replace("\"truck-017\"", "\"truck\\ud800\"", StringComparison.Ordinal);
        Assert.Contains("\\ud800", json, StringComparison.Ordinal);

        var response = await PostJsonAsync(producer, json);

        var problem = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "urn:eventservice:problem:validation");
        Assert.True(problem["errors"]!.AsObject().ContainsKey("endpoint.name"), problem.ToJsonString());
        Assert.Equal(0, await CountEventsAsync());
        Assert.Equal(1, await CountQuarantineAsync());
    }

    private static string Nested(int depth) =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "{}" + new string('}', depth);

    private static string WithDetail(string detail) =>
        ValidEvent().ToJsonString().Replace("\"detail\":{\"id\":3,\"name\":\"Vodafone\"}", "\"detail\":" + detail, StringComparison.Ordinal);

    /// <summary>A stream whose length is unknown, so the client sends no Content-Length.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
