using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Serilog;

namespace EventService.Api.Infrastructure;

public static class HostingExtensions
{
    /// <summary>Serilog for everything, configured from the <c>Serilog</c> section; other providers (tests) still receive.</summary>
    public static WebApplicationBuilder AddServiceLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(
            (services, logger) => logger
                .ReadFrom.Configuration(builder.Configuration)
                .ReadFrom.Services(services)
                .Enrich.FromLogContext()
                .WriteTo.Console(formatProvider: CultureInfo.InvariantCulture),
            writeToProviders: true);
        return builder;
    }

    /// <summary>problem+json for every error: known exceptions, empty-bodied status codes, snake_case JSON throughout.</summary>
    public static WebApplicationBuilder AddApiConventions(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        // On SIGTERM Kestrel stops accepting, in-flight requests and the background jobs get this long to finish.
        builder.Services.AddOptions<HostOptions>().Configure(o =>
            o.ShutdownTimeout = builder.Configuration.GetValue("Hosting:ShutdownTimeout", TimeSpan.FromSeconds(30)))
            .Validate(o => o.ShutdownTimeout >= TimeSpan.Zero && o.ShutdownTimeout <= TimeSpan.FromMinutes(10),
                "Hosting:ShutdownTimeout must lie between 00:00:00 and 00:10:00.")
            .ValidateOnStart();
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions.Remove("traceId");
            context.ProblemDetails.Extensions["trace_id"] = context.HttpContext.TraceIdentifier;
        });
        builder.Services.AddExceptionHandler<ExceptionProblemHandler>();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddCors(options => options.AddDefaultPolicy(policy =>
        {
            var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
            if (origins.Length == 0 || origins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(origins);
            }

            // Browsers may read the paging headers (emnify's clients page by X-Total-Pages) and the retry hints.
            policy.AllowAnyHeader().AllowAnyMethod()
                .WithExposedHeaders([.. Query.PagingHeaders.Exposed, "Location", "Retry-After", "WWW-Authenticate", Ingestion.Idempotency.ReplayedHeader]);
        }));
        builder.Services.AddControllers(options =>
            {
                // No endpoint takes a form; left in, MVC parses any form-typed body while binding and a malformed one
                // throws (a 500) before the action can answer 415.
                options.ValueProviderFactories.RemoveType<FormValueProviderFactory>();
                options.ValueProviderFactories.RemoveType<JQueryFormValueProviderFactory>();
                options.ValueProviderFactories.RemoveType<FormFileValueProviderFactory>();
            })
            .AddJsonOptions(o => o.JsonSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .ConfigureApiBehaviorOptions(options =>
            {
                options.InvalidModelStateResponseFactory = Problems.FromModelState;
                options.ClientErrorMapping[StatusCodes.Status415UnsupportedMediaType] = new() { Link = ProblemTypes.UnsupportedMediaType, Title = "Unsupported Media Type" };
                options.ClientErrorMapping[StatusCodes.Status404NotFound] = new() { Link = ProblemTypes.NotFound, Title = "Not Found" };
            });
        return builder;
    }

    public static WebApplication UseApiConventions(this WebApplication app)
    {
        // Outermost, so that the request line shows the status the client got (not the exception inside).
        app.UseSerilogRequestLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseHeaderLimits();
        app.UseCors();
        return app;
    }

    /// <summary>
    /// Behind a reverse proxy, with <c>Hosting:ForwardedHeaders:Enabled</c>: the client's address from
    /// <c>X-Forwarded-For</c> when the request comes from a known proxy (loopback, <c>KnownProxies</c>,
    /// <c>KnownNetworks</c>), so that the per-address limits see clients rather than the proxy. Off by default:
    /// without a proxy in front, the header is the client's to forge.
    /// </summary>
    public static WebApplication UseForwardedClients(this WebApplication app)
    {
        var section = app.Configuration.GetSection("Hosting:ForwardedHeaders");
        if (!section.GetValue("Enabled", false))
        {
            return app;
        }

        // The rightmost address only (ForwardLimit 1): the one the known proxy itself saw.
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        foreach (var proxy in section.GetSection("KnownProxies").Get<string[]>() ?? [])
        {
            options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                ? address
                : throw new InvalidOperationException($"Hosting:ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
        }

        foreach (var network in section.GetSection("KnownNetworks").Get<string[]>() ?? [])
        {
            options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                ? parsed
                : throw new InvalidOperationException($"Hosting:ForwardedHeaders:KnownNetworks: '{network}' is not a network such as 10.0.0.0/8."));
        }

        app.UseForwardedHeaders(options);
        return app;
    }

    /// <summary>Says where the service listens and where Swagger UI is, once Kestrel has bound.</summary>
    public static WebApplication LogAddressesOnStart(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                app.Logger.LogInformation("EventService listening on {Address}; Swagger UI at {Address}/swagger", address, address);
            }
        });
        return app;
    }
}
