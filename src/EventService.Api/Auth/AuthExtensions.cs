using EventService.Api.Infrastructure;
using EventService.Api.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace EventService.Api.Auth;

public static class AuthExtensions
{
    /// <summary>The default scheme: sends a JWT to <see cref="JwtScheme"/> and every other bearer token to the credential handler.</summary>
    public const string BearerScheme = "Bearer";

    public const string JwtScheme = "Jwt";

    public static WebApplicationBuilder AddCredentials(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.ApiKey) || o.ApiKey.Length >= 16, "Admin:ApiKey must be empty (admin API off) or at least 16 characters long.")
            .ValidateOnStart();
        builder.Services.AddOptions<JwtOptions>().BindConfiguration(JwtOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.SigningKey) || o.SigningKey.Length >= 32, "Jwt:SigningKey must be at least 32 characters long.")
            .Validate(o => o.Lifetime >= TimeSpan.FromMinutes(1), "Jwt:Lifetime must be at least a minute.")
            .ValidateOnStart();
        builder.Services.AddOptions<CredentialCacheOptions>().BindConfiguration(CredentialCacheOptions.Section)
            .Validate(o => o.CredentialCacheLifetime >= TimeSpan.Zero && o.CredentialCacheLifetime <= TimeSpan.FromMinutes(10),
                "Auth:CredentialCacheLifetime must lie between 00:00:00 and 00:10:00.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AuthTokens>();
        builder.Services.AddSingleton<CredentialLookupCache>();
        builder.Services.AddHostedService<RevocationListener>();

        builder.Services.AddAuthentication(BearerScheme)
            .AddPolicyScheme(BearerScheme, BearerScheme, options => options.ForwardDefaultSelector = context =>
                LooksLikeJwt(context.Request.Headers.Authorization) ? JwtScheme : CredentialAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, CredentialAuthenticationHandler>(CredentialAuthenticationHandler.SchemeName, null)
            .AddJwtBearer(JwtScheme, options =>
            {
                options.MapInboundClaims = false;
                options.Events = new JwtBearerEvents
                {
                    OnTokenValidated = ApplicationTokenStillValidAsync,
                    OnChallenge = async context =>
                    {
                        context.HandleResponse();
                        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                        await Problems.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
                            "The auth token is not valid, has expired or its application token was revoked; authenticate again.");
                    },
                    OnForbidden = context => Problems.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden,
                        "Forbidden", "This credential may not use this endpoint."),
                };
            });
        builder.Services.AddOptions<JwtBearerOptions>(JwtScheme).Configure<AuthTokens>((options, tokens) =>
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = tokens.Issuer,
                ValidAudience = tokens.Issuer,
                IssuerSigningKey = tokens.Key,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                LifetimeValidator = (notBefore, expires, _, _) => tokens.IsLive(notBefore, expires),
                ClockSkew = TimeSpan.Zero,
            });

        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Admin, p => p.RequireClaim(CredentialClaims.Kind, CredentialKinds.Admin))
            .AddPolicy(Policies.Producer, p => p.RequireClaim(CredentialClaims.Kind, CredentialKinds.Producer))
            .AddPolicy(Policies.Organisation, p => p.RequireClaim(CredentialClaims.Kind, CredentialKinds.Organisation))
            .AddPolicy(Policies.Ingest, p => p.RequireClaim(CredentialClaims.Kind, CredentialKinds.Producer, CredentialKinds.Organisation))
            // An endpoint without a rule of its own still needs a credential.
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    public static WebApplication UseCredentials(this WebApplication app)
    {
        app.UseAuthentication();
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey))
        {
            app.Logger.LogWarning("Admin:ApiKey is not set: the admin API answers 401 to everyone");
        }

        return app;
    }

    internal static bool LooksLikeJwt(string? header) =>
        header is not null
        && header.StartsWith("Bearer eyJ", StringComparison.Ordinal)
        && header.Count(c => c == '.') == 2;

    /// <summary>An auth token dies with its application token: revoking one takes effect at once.</summary>
    private static async Task ApplicationTokenStillValidAsync(TokenValidatedContext context)
    {
        var principal = context.Principal;
        if (!long.TryParse(principal?.FindFirst(AuthTokens.ApplicationTokenClaim)?.Value, out var tokenId)
            || !long.TryParse(principal?.FindFirst(AuthTokens.OrganisationClaim)?.Value, out var organisationId))
        {
            context.Fail("The auth token lacks its claims.");
            return;
        }

        var cache = context.HttpContext.RequestServices.GetRequiredService<CredentialLookupCache>();
        if (!cache.IsApplicationTokenLive(tokenId, organisationId))
        {
            var epoch = cache.Epoch;
            var dataSource = context.HttpContext.RequestServices.GetRequiredService<NpgsqlDataSource>();
            var storage = context.HttpContext.RequestServices.GetRequiredService<IOptions<StorageOptions>>().Value;
            // Bounded, and on a connection of its own (not the request's pooled DbContext), like the producer lookup.
            var live = await DatabaseTimeout.RunAsync(
                async token =>
                {
                    await using var command = dataSource.CreateCommand(
                        "SELECT EXISTS (SELECT 1 FROM application_tokens WHERE id = @id AND organisation_id = @org AND revoked_at IS NULL)");
                    command.Parameters.AddWithValue("id", tokenId);
                    command.Parameters.AddWithValue("org", organisationId);
                    return (bool)(await command.ExecuteScalarAsync(token))!;
                },
                storage.ConnectTimeout, "The application token's check", context.HttpContext.RequestAborted);
            if (!live)
            {
                context.Fail("The application token behind this auth token has been revoked.");
                return;
            }

            cache.AddApplicationToken(tokenId, organisationId, epoch);
        }

        context.Principal = new System.Security.Claims.ClaimsPrincipal(AuthTokens.Identity(organisationId, tokenId, JwtScheme));
        context.HttpContext.Features.Set(Producer.Organisation(organisationId));
    }
}
