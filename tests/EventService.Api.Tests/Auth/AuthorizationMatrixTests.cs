using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using EventService.Api.Infrastructure;
using EventService.Api.RateLimits;
using EventService.Api.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Auth;

/// <summary>
/// Every endpoint against every kind of caller. A new endpoint must get an explicit rule ([Authorize(Policy = ...)],
/// [Authorize] or [AllowAnonymous]), a rate-limit policy, and a row here, or <see cref="Every_endpoint_has_an_explicit_rule_and_a_row_in_the_matrix"/> fails.
/// </summary>
public sealed class AuthorizationMatrixTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    public enum Access
    {
        /// <summary>Anyone, with or without a credential.</summary>
        Anonymous,

        /// <summary>Any valid credential.</summary>
        AnyCredential,
        Admin,

        /// <summary>A producer token or an organisation's auth token.</summary>
        Ingest,

        /// <summary>An organisation's auth token.</summary>
        Organisation,
    }

    public enum Caller
    {
        None,
        UnknownToken,
        ForgedJwt,
        Admin,
        Producer,
        Organisation,
    }

    private sealed record Row(string Method, string Template, Access Access, Func<Ids, string> Path, Func<Ids, string>? Body = null);

    private sealed record Ids(long EventId, long ProducerToRevoke, long ApplicationTokenToRevoke, string ApplicationToken);

    private const long Organisation = 4711;

    private static readonly Row[] Matrix =
    [
        new("POST", "api/v1/event", Access.Ingest, _ => "/api/v1/event", _ => ValidEvent(id: 1001, source: 2).ToJsonString()),
        new("GET", "api/v1/event", Access.Organisation, _ => "/api/v1/event"),
        new("GET", "api/v1/event/{id:long}", Access.Organisation, ids => $"/api/v1/event/{ids.EventId}"),
        new("GET", "api/v1/endpoint/{endpoint_id}/event", Access.Organisation, _ => "/api/v1/endpoint/90001/event"),
        new("GET", "api/v1/sim/{sim_id}/event", Access.Organisation, _ => "/api/v1/sim/700001/event"),
        new("GET", "api/v1/user/{user_id}/event", Access.Organisation, _ => "/api/v1/user/5/event"),
        new("GET", "api/v1/event/type", Access.AnyCredential, _ => "/api/v1/event/type"),
        new("POST", "api/v1/authenticate", Access.Anonymous, _ => "/api/v1/authenticate", ids => $$"""{"application_token":"{{ids.ApplicationToken}}"}"""),
        new("POST", "api/v1/admin/organisations", Access.Admin, _ => "/api/v1/admin/organisations", _ => """{"id":4711,"name":"Acme Fleet"}"""),
        new("POST", "api/v1/admin/organisations/{id:long}/application_tokens", Access.Admin, _ => $"/api/v1/admin/organisations/{Organisation}/application_tokens", _ => """{"description":"matrix"}"""),
        new("DELETE", "api/v1/admin/application_tokens/{id:long}", Access.Admin, ids => $"/api/v1/admin/application_tokens/{ids.ApplicationTokenToRevoke}"),
        new("POST", "api/v1/admin/producers", Access.Admin, _ => "/api/v1/admin/producers", _ => """{"name":"matrix","sources":[0]}"""),
        new("GET", "api/v1/admin/producers", Access.Admin, _ => "/api/v1/admin/producers"),
        new("DELETE", "api/v1/admin/producers/{id:long}", Access.Admin, ids => $"/api/v1/admin/producers/{ids.ProducerToRevoke}"),
        new("GET", "api/v1/admin/quarantine", Access.Admin, _ => "/api/v1/admin/quarantine"),
        new("GET", "api/v1/admin/retention", Access.Admin, _ => "/api/v1/admin/retention"),
        new("PUT", "api/v1/admin/retention", Access.Admin, _ => "/api/v1/admin/retention", _ => """{"period":"30.00:00:00"}"""),
        new("GET", "health/live", Access.Anonymous, _ => "/health/live"),
        new("GET", "health/ready", Access.Anonymous, _ => "/health/ready"),
    ];

    /// <summary>The status a caller gets: 0 stands for "allowed" (200 for a GET, any 2xx otherwise).</summary>
    private static int Expected(Access access, Caller caller) => (access, caller) switch
    {
        (Access.Anonymous, _) => 0,
        (_, Caller.None or Caller.UnknownToken or Caller.ForgedJwt) => 401,
        (Access.AnyCredential, _) => 0,
        (Access.Admin, Caller.Admin) => 0,
        (Access.Ingest, Caller.Producer or Caller.Organisation) => 0,
        (Access.Organisation, Caller.Organisation) => 0,
        _ => 403,
    };

    [Theory]
    [InlineData(Caller.None)]
    [InlineData(Caller.UnknownToken)]
    [InlineData(Caller.ForgedJwt)]
    [InlineData(Caller.Admin)]
    [InlineData(Caller.Producer)]
    [InlineData(Caller.Organisation)]
    public async Task Every_endpoint_answers_each_kind_of_caller_as_its_rule_says(Caller caller)
    {
        var (ids, client) = await ArrangeAsync(caller);
        var failures = new List<string>();

        foreach (var row in Matrix)
        {
            var response = await SendAsync(client, row, ids);
            var expected = Expected(row.Access, caller);
            var status = (int)response.StatusCode;
            var allowed = row.Method == "GET" ? status == 200 : status is >= 200 and <= 299;
            if (expected == 0 ? !allowed : status != expected)
            {
                failures.Add($"{row.Method} {row.Template}: expected {(expected == 0 ? row.Method == "GET" ? "200" : "2xx" : expected)}, got {status}: {await response.Content.ReadAsStringAsync()}");
            }
            else if (expected != 0)
            {
                await AssertProblemAsync(response, (HttpStatusCode)expected, expected == 401 ? ProblemTypes.Unauthorized : ProblemTypes.Forbidden);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Another_organisation_or_a_producer_bound_to_one_cannot_post_an_event_of_another()
    {
        await ArrangeAsync(Caller.None);
        using var other = await OrganisationClientAsync(4712, "Other");
        using var bound = await ProducerClientAsync(organisationId: 4712);
        var before = await CountEventsAsync();

        await AssertProblemAsync(await PostJsonAsync(other, ValidEvent(id: 2001, organisationId: Organisation, source: 2)), HttpStatusCode.UnprocessableEntity);
        await AssertProblemAsync(await PostJsonAsync(bound, ValidEvent(id: 2002, organisationId: Organisation)), HttpStatusCode.UnprocessableEntity);
        Assert.Equal(before, await CountEventsAsync());
    }

    [Fact]
    public void Every_endpoint_has_an_explicit_rule_and_a_row_in_the_matrix()
    {
        var endpoints = Fixture.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        var covered = Matrix.Select(r => $"{r.Method} {r.Template}").ToHashSet();
        var problems = new List<string>();

        foreach (var endpoint in endpoints)
        {
            var template = endpoint.RoutePattern.RawText!.TrimStart('/');
            // An endpoint for every method (the health checks) is probed with GET.
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                var name = $"{method} {template}";
                if (!covered.Remove(name))
                {
                    problems.Add($"{name} has no row in the authorization matrix");
                }
            }

            var anonymous = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;
            if (!anonymous && endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Count == 0)
            {
                problems.Add($"{template} has neither [Authorize(...)] nor [AllowAnonymous]");
            }

            if (template.StartsWith("api/", StringComparison.Ordinal)
                && endpoint.Metadata.GetMetadata<EnableRateLimitingAttribute>() is not { PolicyName: RateLimitPolicies.Ingest or RateLimitPolicies.Read })
            {
                problems.Add($"{template} names no rate-limit policy");
            }
        }

        problems.AddRange(covered.Select(name => $"the matrix names {name}, which the app does not have"));
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.True(endpoints.Count >= Matrix.Length);
    }

    private async Task<(Ids Ids, HttpClient Client)> ArrangeAsync(Caller caller)
    {
        var producerToken = await CreateProducerAsync();
        using (var producer = Fixture.Client(producerToken))
        {
            Assert.Equal(HttpStatusCode.Created, (await PostJsonAsync(producer, ValidEvent(id: 1001))).StatusCode);
        }

        var (tokenId, secret) = await CreateApplicationTokenAsync(Organisation);
        var (victimToken, _) = await CreateApplicationTokenAsync(Organisation);
        using var admin = Fixture.AdminClient();
        var victimProducer = await admin.PostAsJsonAsync("/api/v1/admin/producers", new { name = "victim", sources = new[] { 0 } });
        var ids = new Ids(1001, (await ReadJsonAsync(victimProducer))["id"]!.GetValue<long>(), victimToken, secret);

        var client = caller switch
        {
            Caller.None => Fixture.Client(),
            Caller.UnknownToken => Fixture.Client("esp_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16))),
            Caller.ForgedJwt => Fixture.Client(Forge(tokenId)),
            Caller.Admin => Fixture.AdminClient(),
            Caller.Producer => Fixture.Client(producerToken),
            Caller.Organisation => Fixture.Client(await AuthenticateAsync(secret)),
            _ => throw new ArgumentOutOfRangeException(nameof(caller)),
        };
        return (ids, client);
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, Row row, Ids ids)
    {
        var request = new HttpRequestMessage(new HttpMethod(row.Method), row.Path(ids));
        if (row.Body is { } body)
        {
            request.Content = new StringContent(body(ids), Encoding.UTF8, "application/json");
        }

        return client.SendAsync(request);
    }

    private static string Forge(long tokenId) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "eventservice",
        Audience = "eventservice",
        IssuedAt = ApiFixture.Start.UtcDateTime,
        NotBefore = ApiFixture.Start.UtcDateTime,
        Expires = ApiFixture.Start.UtcDateTime.AddHours(1),
        Claims = new Dictionary<string, object> { ["org"] = Organisation.ToString(), ["tid"] = tokenId.ToString() },
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256),
    });
}
