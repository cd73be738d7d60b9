using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

public sealed class HostTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public async Task The_shutdown_timeout_comes_from_configuration()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Fixture.Factory.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
        await using var factory = Fixture.CreateFactory(new Dictionary<string, string?> { ["Hosting:ShutdownTimeout"] = "00:00:12" });

        Assert.Equal(TimeSpan.FromSeconds(12), factory.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    [Fact]
    public async Task Swagger_describes_the_endpoints_the_bearer_scheme_and_the_sample_examples()
    {
        using var anonymous = Fixture.Client();

        var response = await anonymous.GetAsync("/swagger/v1/swagger.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var doc = await ReadJsonAsync(response);
        var paths = doc["paths"]!.AsObject();
        foreach (var path in new[] { "/api/v1/event", "/api/v1/event/{id}", "/api/v1/event/type", "/api/v1/admin/producers", "/api/v1/admin/producers/{id}", "/api/v1/admin/quarantine", "/api/v1/admin/retention" })
        {
            Assert.True(paths.ContainsKey(path), $"swagger lacks {path}");
        }

        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        var post = paths["/api/v1/event"]!["post"]!;
        var examples = post["requestBody"]!["content"]!["application/json"]!["examples"]!.AsObject();
        Assert.Equal(8, examples["batch"]!["value"]!.AsArray().Count);
        Assert.Equal(351732524384257, post["responses"]!["201"]!["content"]!["application/json"]!["example"]!["id"]!.GetValue<long>());
        Assert.Equal(8, post["responses"]!["200"]!["content"]!["application/json"]!["example"]!["accepted"]!.GetValue<int>());
        foreach (var status in new[] { "200", "201", "400", "401", "408", "413", "415", "422", "429", "431", "500", "503" })
        {
            Assert.True(post["responses"]!.AsObject().ContainsKey(status), $"POST /api/v1/event does not document {status}");
        }

        var headers = post["parameters"]!.AsArray().Where(p => p!["in"]!.GetValue<string>() == "header").Select(p => p!["name"]!.GetValue<string>());
        Assert.Equal(["Idempotency-Key", "webhook-id", "webhook-timestamp", "webhook-signature"], headers);
        Assert.True(paths["/api/v1/event/type"]!["get"]!["responses"]!.AsObject().ContainsKey("429"));
        Assert.True(paths["/api/v1/authenticate"]!["post"]!["responses"]!.AsObject().ContainsKey("413"));
    }

    [Fact]
    public async Task Swagger_ui_is_served()
    {
        using var anonymous = Fixture.Client();

        var response = await anonymous.GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_unknown_path_is_a_problem_not_an_empty_body()
    {
        using var admin = Fixture.AdminClient();

        await AssertProblemAsync(await admin.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Problems_carry_a_trace_id()
    {
        using var anonymous = Fixture.Client();

        var problem = await AssertProblemAsync(await anonymous.GetAsync("/api/v1/event/1"), HttpStatusCode.Unauthorized);

        Assert.False(string.IsNullOrEmpty(problem["trace_id"]?.GetValue<string>()));
    }
}
