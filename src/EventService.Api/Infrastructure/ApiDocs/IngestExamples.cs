using System.Text.Json.Nodes;
using EventService.Domain.Events;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EventService.Api.Infrastructure.ApiDocs;

/// <summary>
/// The request examples of <c>POST /api/v1/event</c>, taken from emnify's sample payloads, with the
/// timestamps moved to the last hours so that "Try it out" posts events inside the acceptance window.
/// </summary>
public sealed class IngestExamples(TimeProvider time)
{
    public JsonArray Batch()
    {
        using var stream = typeof(IngestExamples).Assembly.GetManifestResourceStream("EventService.Api.Samples.data-streamer-batch.json")
            ?? throw new InvalidOperationException("The sample payload resource is missing from the assembly.");
        var batch = JsonNode.Parse(stream)!.AsArray();
        var now = time.GetUtcNow();
        for (var i = 0; i < batch.Count; i++)
        {
            batch[i]!["timestamp"] = TimestampParser.Format(now.AddMinutes(-10 * (batch.Count - i)).AddTicks(-now.Ticks % TimeSpan.TicksPerSecond));
        }

        return batch;
    }
}

/// <summary>
/// Describes the body of <c>POST /api/v1/event</c> (read by hand, so not inferred): one event or an array of
/// them, with the sample payloads as examples.
/// </summary>
public sealed class IngestExamplesFilter(IngestExamples examples) : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.HttpMethod != "POST" || context.ApiDescription.RelativePath != "api/v1/event")
        {
            return;
        }

        var single = context.SchemaGenerator.GenerateSchema(typeof(Storage.Events.EventDocument), context.SchemaRepository);
        var batch = examples.Batch();
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "One emnify event object, or a JSON array of up to 3000 (at most 10 MB).",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                ["application/json"] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema
                    {
                        OneOf = [single, new OpenApiSchema { Type = JsonSchemaType.Array, Items = single, MaxItems = 3000 }],
                    },
                    Examples = new Dictionary<string, IOpenApiExample>
                    {
                        ["single"] = new OpenApiExample { Summary = "One event (Create PDP Context)", Value = batch[0]!.DeepClone() },
                        ["batch"] = new OpenApiExample { Summary = "A Data Streamer batch of 8 events, with real producers' quirks", Value = batch },
                    },
                },
            },
        };

        var stored = batch[0]!.DeepClone().AsObject();
        stored["user"] = null;
        SetExample(operation, "201", stored);
        var results = new JsonArray();
        for (var i = 0; i < batch.Count; i++)
        {
            results.Add(new JsonObject { ["index"] = i, ["id"] = batch[i]!["id"]!.DeepClone(), ["status"] = "accepted" });
        }

        SetExample(operation, "200", new JsonObject { ["accepted"] = batch.Count, ["duplicates"] = 0, ["rejected"] = 0, ["results"] = results });
    }

    private static void SetExample(OpenApiOperation operation, string status, JsonNode example)
    {
        if (operation.Responses?.TryGetValue(status, out var response) == true
            && response.Content?.TryGetValue("application/json", out var found) == true
            && found is OpenApiMediaType media)
        {
            media.Example = example;
        }
    }
}
