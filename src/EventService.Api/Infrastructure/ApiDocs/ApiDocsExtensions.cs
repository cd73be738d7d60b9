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
                    emnify's event format. Authorize with a bearer token: the admin key for `/api/v1/admin/*`; a producer
                    token (`POST /api/v1/admin/producers`) to post events; an organisation's auth token to read them:
                    create an application token (`POST /api/v1/admin/organisations/{id}/application_tokens`), exchange
                    it at `POST /api/v1/authenticate`, and paste the `auth_token` into "Authorize".
                    Every error is an RFC 9457 problem+json body.
                    """,
            });
            options.IncludeXmlComments(Path.Combine(AppContext.BaseDirectory, $"{Assembly.GetExecutingAssembly().GetName().Name}.xml"));
            options.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "One of: the admin key (`Admin__ApiKey`, printed by ./run.sh) for `/api/v1/admin/*`; a producer " +
                    "token (`esp_...`) to post events; or an organisation's auth token (a JWT from `POST /api/v1/authenticate` " +
                    "with an application token) to read its events.",
            });
            options.AddSecurityRequirement(document => new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
            });
            options.OperationFilter<IngestExamplesFilter>();
            options.OperationFilter<ProblemResponsesFilter>();
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
