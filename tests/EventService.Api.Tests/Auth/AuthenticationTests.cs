using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EventService.Api.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

public sealed class AuthenticationTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task An_application_token_is_exchanged_for_an_auth_token_that_reads_the_organisations_events()
    {
        var (_, secret) = await CreateApplicationTokenAsync(4711, "Acme Fleet");
        using var anonymous = Fixture.Client();

        var response = await anonymous.PostAsJsonAsync("/api/v1/authenticate", new { application_token = secret });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var authToken = (await ReadJsonAsync(response))["auth_token"]!.GetValue<string>();
        Assert.Equal(3, authToken.Split('.').Length);
        var jwt = new JsonWebToken(authToken);
        Assert.Equal("4711", jwt.GetClaim("org").Value);
        Assert.Equal(ApiFixture.Start.UtcDateTime.AddMinutes(240), jwt.ValidTo);
        using var reader = Fixture.Client(authToken);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);
    }

    [Theory]
    [InlineData("est_unknown")]
    [InlineData("x")]
    public async Task An_unknown_application_token_is_a_401(string token)
    {
        using var anonymous = Fixture.Client();

        var response = await anonymous.PostAsJsonAsync("/api/v1/authenticate", new { application_token = token });

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"application_token":""}""")]
    [InlineData("not json")]
    public async Task A_malformed_authenticate_request_is_a_400(string body)
    {
        using var anonymous = Fixture.Client();

        await AssertProblemAsync(await PostJsonAsync(anonymous, body, "/api/v1/authenticate"), HttpStatusCode.BadRequest);
    }

    // TestServer has no request body size limit (it ignores [RequestSizeLimit]): these run on Kestrel, as in production.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_authenticate_body_over_4_KB_is_a_413_problem_from_kestrel(bool withContentLength)
    {
        var (_, secret) = await CreateApplicationTokenAsync(4711);
        await using var kestrel = Fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Enabled"] = "false" });
        kestrel.UseKestrel(0);
        using var anonymous = kestrel.CreateClient();
        var json = Encoding.UTF8.GetBytes($$"""{"application_token":"{{secret}}"}""" + new string(' ', 4097));
        // Without a Content-Length the body is sent chunked, and Kestrel counts it as it arrives.
        HttpContent content = withContentLength ? new ByteArrayContent(json) : new StreamContent(new UnknownLengthStream(json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await anonymous.PostAsync("/api/v1/authenticate", content);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "urn:eventservice:problem:payload-too-large");
    }

    [Fact]
    public async Task An_authenticate_body_of_4_KB_is_read_on_kestrel()
    {
        var (_, secret) = await CreateApplicationTokenAsync(4711);
        await using var kestrel = Fixture.CreateFactory(new Dictionary<string, string?> { ["Retention:Enabled"] = "false" });
        kestrel.UseKestrel(0);
        using var anonymous = kestrel.CreateClient();
        var token = $$"""{"application_token":"{{secret}}"}""";
        var json = token + new string(' ', 4096 - token.Length);

        var response = await PostJsonAsync(anonymous, json, "/api/v1/authenticate");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A stream that does not say its length, so that HttpClient sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task Revoking_an_application_token_stops_it_and_its_auth_tokens_at_once()
    {
        var (id, secret) = await CreateApplicationTokenAsync(4711);
        var authToken = await AuthenticateAsync(secret);
        using var reader = Fixture.Client(authToken);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);
        using var admin = Fixture.AdminClient();

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/admin/application_tokens/{id}")).StatusCode);

        await AssertProblemAsync(await reader.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
        using var anonymous = Fixture.Client();
        await AssertProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/authenticate", new { application_token = secret }), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_auth_token_lives_240_minutes()
    {
        using var reader = await OrganisationClientAsync(4711);

        Fixture.Time.Advance(TimeSpan.FromMinutes(239));
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/event")).StatusCode);
        Fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var expired = await reader.GetAsync("/api/v1/event");

        await AssertProblemAsync(expired, HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
        Assert.Contains(expired.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("None")]
    [InlineData("")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl")]
    [InlineData("eyJ.not.base64!")]
    public async Task A_missing_or_malformed_bearer_is_a_401(string? bearer)
    {
        using var client = Fixture.Client();
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
        }

        await AssertProblemAsync(await client.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized, "urn:eventservice:problem:unauthorized");
    }

    [Fact]
    public async Task An_auth_token_signed_with_another_key_is_a_401()
    {
        var (id, _) = await CreateApplicationTokenAsync(4711);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "eventservice",
            Audience = "eventservice",
            IssuedAt = ApiFixture.Start.UtcDateTime,
            NotBefore = ApiFixture.Start.UtcDateTime,
            Expires = ApiFixture.Start.UtcDateTime.AddHours(1),
            Claims = new Dictionary<string, object> { ["org"] = "4711", ["tid"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256),
        });
        using var client = Fixture.Client(forged);

        await AssertProblemAsync(await client.GetAsync("/api/v1/event"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task An_auth_token_may_not_use_the_admin_api()
    {
        using var reader = await OrganisationClientAsync(4711);

        await AssertProblemAsync(await reader.GetAsync("/api/v1/admin/producers"), HttpStatusCode.Forbidden, "urn:eventservice:problem:forbidden");
        await AssertProblemAsync(await PostJsonAsync(reader, new JsonObject { ["id"] = 1, ["name"] = "x" }, "/api/v1/admin/organisations"), HttpStatusCode.Forbidden);
    }
}
