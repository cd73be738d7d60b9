using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Claims;
using System.Threading.RateLimiting;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
using EventService.Api.Ingestion;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EventService.Api.RateLimits;

/// <summary>
/// ASP.NET Core's rate limiter, partitioned by credential so that one noisy producer or organisation uses up its
/// own permits only; ingest and reads count separately, and ingest also bounds the requests a credential has in
/// flight. In front of authentication, a limit per remote address. Over a limit is a 429 problem with <c>Retry-After</c>.
/// </summary>
public static partial class RateLimitExtensions
{
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section)
            .Validate(o => Valid(o.Ingest) && Valid(o.Read) && Valid(o.PerAddress),
                "RateLimits:Ingest, RateLimits:Read and RateLimits:PerAddress need a PermitLimit of at least 1 and a Window between 00:00:00.010 and 1.00:00:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AddressRateLimiter>();
        builder.Services.AddRateLimiter(options =>
        {
            options.AddPolicy(RateLimitPolicies.Ingest, IngestPartition);
            options.AddPolicy(RateLimitPolicies.Read, context => Partition(context, o => o.Read));
            options.OnRejected = (rejected, _) => RejectAsync(rejected.HttpContext, rejected.Lease, "This credential");
        });
        return builder;
    }

    /// <summary>
    /// Per remote address, before any credential is read (so before any lookup in the database), for every request
    /// whose credential this instance cannot tell without asking PostgreSQL: none, an unknown or uncached producer
    /// token, anything else that is not the admin key or a JWT (whose check in the database waits behind a valid
    /// signature). A known credential is not charged, so it is bounded by its own limits alone, however many share
    /// its address. The health checks are answered before this (they short-circuit at routing).
    /// </summary>
    public static WebApplication UseAddressLimits(this WebApplication app)
    {
        var limiter = app.Services.GetRequiredService<AddressRateLimiter>();
        var cache = app.Services.GetRequiredService<CredentialLookupCache>();
        var admin = app.Services.GetRequiredService<IOptions<AdminOptions>>();
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<DisableRateLimitingAttribute>() is null
                && !CredentialAuthenticationHandler.IsKnownWithoutLookup(context.Request.Headers.Authorization, admin.Value.ApiKey, cache))
            {
                using var lease = limiter.AttemptAcquire(context);
                if (!lease.IsAcquired)
                {
                    await RejectAsync(context, lease, "This address");
                    return;
                }
            }

            await next(context);
        });
        return app;
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
        return options.Enabled
            ? RateLimitPartition.GetFixedWindowLimiter(key, _ => FixedWindow(pick(options)))
            : RateLimitPartition.GetNoLimiter(key);
    }

    /// <summary>The ingest rule's fixed window, chained with a bound on the posts (bodies included) one credential has in flight.</summary>
    private static RateLimitPartition<string> IngestPartition(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        var key = PartitionKey(context);
        if (!options.Enabled)
        {
            return RateLimitPartition.GetNoLimiter(key);
        }

        var concurrent = context.RequestServices.GetRequiredService<IOptions<IngestionOptions>>().Value.MaxConcurrentRequestsPerCredential;
        return RateLimitPartition.Get(key, _ => RateLimiter.CreateChained(
            new FixedWindowRateLimiter(FixedWindow(options.Ingest)),
            new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = concurrent, QueueLimit = 0 })));
    }

    internal static FixedWindowRateLimiterOptions FixedWindow(RateLimitRule rule) => new()
    {
        PermitLimit = rule.PermitLimit,
        Window = rule.Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

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

        return AddressKey(context);
    }

    /// <summary>
    /// The remote address (the client's, behind a known proxy with <c>Hosting:ForwardedHeaders</c> on); an IPv6
    /// address by its /64, which one host can rotate through at will.
    /// </summary>
    internal static string AddressKey(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null)
        {
            return "ip:unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            bytes[8..].Clear();
            return "ip:" + new IPAddress(bytes) + "/64";
        }

        return "ip:" + address;
    }

    private static async ValueTask RejectAsync(HttpContext context, RateLimitLease lease, string who)
    {
        // A fixed window says when it opens again; a full concurrency bound frees up as soon as a request ends.
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        LogRejected(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimitExtensions)),
            PartitionKey(context), context.Request.Path);
        await Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited, "Too Many Requests",
            $"{who} has made too many requests, or has too many in flight; retry after {seconds} seconds.");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limit reached by {Partition} on {Path}")]
    private static partial void LogRejected(ILogger logger, string partition, string path);
}

/// <summary>The per-address limiter of <see cref="RateLimitExtensions.UseAddressLimits"/>: fixed windows of <c>RateLimits:PerAddress</c>.</summary>
public sealed class AddressRateLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<HttpContext> limiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
        options.Value.Enabled
            ? RateLimitPartition.GetFixedWindowLimiter(RateLimitExtensions.AddressKey(context), _ => RateLimitExtensions.FixedWindow(options.Value.PerAddress))
            : RateLimitPartition.GetNoLimiter("off"));

    public RateLimitLease AttemptAcquire(HttpContext context) => limiter.AttemptAcquire(context);

    public void Dispose() => limiter.Dispose();
}
