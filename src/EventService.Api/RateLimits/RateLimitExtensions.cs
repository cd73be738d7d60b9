using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EventService.Api.RateLimits;

/// <summary>
/// ASP.NET Core's rate limiter, partitioned by credential so that one noisy producer or organisation uses up its
/// own permits only; ingest and reads count separately. Over the limit is a 429 problem with <c>Retry-After</c>.
/// </summary>
public static partial class RateLimitExtensions
{
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => Valid(o.Ingest) && Valid(o.Read),
                "RateLimits:Ingest and RateLimits:Read need a PermitLimit of at least 1 and a Window between 00:00:00.010 and 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(RateLimitPolicies.Ingest, context => Partition(context, o => o.Ingest));
            options.AddPolicy(RateLimitPolicies.Read, context => Partition(context, o => o.Read));
            options.OnRejected = RejectAsync;
        });
        return builder;
    }

    /// <summary>Runs after authentication (the partition is the credential) and before authorization, so that failed credentials count too.</summary>
    public static WebApplication UseRateLimits(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    private static bool Valid(RateLimitRule rule) =>
        rule.PermitLimit >= 1 && rule.Window >= TimeSpan.FromMilliseconds(10) && rule.Window <= TimeSpan.FromDays(1);

    private static RateLimitPartition<string> Partition(HttpContext context, Func<RateLimitOptions, RateLimitRule> pick)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var key = PartitionKey(context);
        if (!options.Enabled)
        {
            return RateLimitPartition.GetNoLimiter(key);
        }

        var rule = pick(options);
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = rule.PermitLimit,
            Window = rule.Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    /// <summary>The credential: a producer, an organisation (whichever of its tokens), the admin key; else the remote address.</summary>
    internal static string PartitionKey(HttpContext context)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated == true)
        {
            switch (user.FindFirstValue(CredentialClaims.Kind))
            {
                case CredentialKinds.Producer when user.FindFirstValue(CredentialClaims.ProducerId) is { } producer:
                    return "producer:" + producer;
                case CredentialKinds.Organisation when user.FindFirstValue(CredentialClaims.OrganisationId) is { } organisation:
                    return "organisation:" + organisation;
                case CredentialKinds.Admin:
                    return "admin";
            }
        }

        // REVIEW: behind a reverse proxy every anonymous caller shares the proxy's address; configure
        // forwarded headers (UseForwardedHeaders with the proxy's address) before relying on this partition.
        return "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        LogRejected(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimitExtensions)),
            PartitionKey(context), context.Request.Path);
        await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too Many Requests",
            $"This credential has made too many requests; retry after {seconds} seconds.");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limit reached by {Partition} on {Path}")]
    private static partial void LogRejected(ILogger logger, string partition, string path);
}
