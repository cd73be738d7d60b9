using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EventService.Api.Infrastructure.ApiDocs;

/// <summary>Documents the problem answers every operation can give: 500, and 503 while PostgreSQL is unreachable.</summary>
public sealed class ProblemResponsesFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var problem = context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository);
        operation.Responses ??= [];
        Add(operation, problem, "500", "An unexpected fault; the body carries a trace_id to find it in the logs.");
        Add(operation, problem, "503", "PostgreSQL is not reachable; retry after the Retry-After header's seconds.");
        if (operation.RequestBody is not null)
        {
            Add(operation, problem, "415", "The content type is not application/json.");
        }
    }

    private static void Add(OpenApiOperation operation, IOpenApiSchema schema, string status, string description) =>
        operation.Responses!.TryAdd(status, new OpenApiResponse
        {
            Description = description,
            Content = new Dictionary<string, IOpenApiMediaType> { ["application/problem+json"] = new OpenApiMediaType { Schema = schema } },
        });
}
