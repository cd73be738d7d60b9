using System.Reflection;
using Microsoft.OpenApi;

namespace EventService.Api.Infrastructure.ApiDocs;

public static class ApiDocsExtensions
{
    public const string BearerScheme = "bearer";

    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSingleton<IngestExamples>();
        builder.Services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "EventService",
                Version = "v1",
                Description = """
                    Ingests, validates, stores and serves the system events of an IoT connectivity platform in
                    emnify's event format. Authorize with a bearer token: the admin key for `/api/v1/admin/*` and for
                    reading, a producer token (created with `POST /api/v1/admin/producers`) for posting events.
                    Every error is an RFC 9457 problem+json body.
                    """,
            });
            options.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml"));
            options.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The admin key (`Admin__ApiKey`, printed by ./run.sh) or a producer token (`esp_...`).",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
            });
            options.OperationFilter<IngestExamplesFilter>();
        });
        return builder;
    }

    public static WebApplication UseApiDocs(this WebApplication app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/swagger/v1/swagger.json", "EventService v1");
            options.DocumentTitle = "EventService";
        });
        return app;
    }
}
