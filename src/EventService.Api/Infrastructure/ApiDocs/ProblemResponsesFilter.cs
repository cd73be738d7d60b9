using EventService.Api.Auth;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EventService.Api.Infrastructure.ApiDocs;

/// <summary>
/// Documents the problem answers every operation can give: 429 over the rate limit, 431 for oversized headers, 500,
/// and 503 while PostgreSQL is unreachable; and the Standard Webhooks headers of a signing producer's posts.
/// </summary>
public sealed class ProblemResponsesFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var problem = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository);
        operation.Responses ??= [];
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            Add(operation, problem, "429", "This credential (or, without one, this address) made too many requests; retry after the " +
                "Retry-After header's seconds. Limits per credential: RateLimits:Ingest for posting events, RateLimits:Read for the rest; " +
                "before any credential is read, RateLimits:PerAddress per remote address for requests whose credential would cost a lookup " +
                "(none, or an uncached producer token). Posting events is also bounded to " +
                "Ingestion:MaxConcurrentRequestsPerCredential requests in flight per credential.");
        }

        Add(operation, problem, "431", "The request headers are larger than Hosting:MaxRequestHeadersBytes.");
        Add(operation, problem, "500", "An unexpected fault; the body carries a trace_id to find it in the logs.");
        Add(operation, problem, "503", "PostgreSQL is not reachable; retry after the Retry-After header's seconds.");
        if (operation.RequestBody is not null)
        {
            Add(operation, problem, "415", "The content type is not application/json.");
        }

        if (context.ApiDescription.HttpMethod == "POST" && context.ApiDescription.RelativePath == "api/v1/event")
        {
            Add(operation, problem, "408", "The body did not arrive in full within Ingestion:BodyReadTimeout, or (HTTP/1.x) arrived slower " +
                "than Ingestion:MinBodyDataRate; nothing was written.");
            AddWebhookHeaders(operation);
        }
    }

    private static void AddWebhookHeaders(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        const string Only = " Required, and checked, only for a producer created with \"signing_secret\": true; a missing or wrong one is a 401 (invalid-signature).";
        (string Name, string Description, string Example)[] headers =
        [
            (WebhookSignature.IdHeader, "Standard Webhooks: a unique id of this delivery." + Only, "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"),
            (WebhookSignature.TimestampHeader, "Standard Webhooks: when it was signed, in seconds since the Unix epoch; at most 5 minutes from the service's clock." + Only, "1764201600"),
            (WebhookSignature.SignatureHeader, "Standard Webhooks: space-separated `v1,<base64>` entries, each an HMAC-SHA256 with the base64-decoded " +
                "`whsec_` secret over `{webhook-id}.{webhook-timestamp}.{raw body}`; one matching entry passes (key rotation)." + Only,
                "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
        ];
        foreach (var (name, description, example) in headers)
        {
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name,
                In = ParameterLocation.Header,
                Required = false,
                Description = description,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Example = System.Text.Json.Nodes.JsonValue.Create(example),
            });
        }
    }

    private static void Add(OpenApiOperation operation, IOpenApiSchema schema, string status, string description) =>
        operation.Responses!.TryAdd(status, new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, IOpenApiMediaType> { ["application/problem+json"] = new OpenApiMediaType { Schema = schema } },
        });
}
