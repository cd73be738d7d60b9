using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using EventService.Api.Infrastructure;
using EventService.Api.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EventService.Api.Auth;

/// <summary>
/// Reads <c>Authorization: Bearer ...</c>: the admin key, or a producer token looked up by its hash on every
/// request, so that a revoked token stops working at once.
/// </summary>
public sealed class CredentialAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    EventsDbContext db,
    CredentialLookupCache cache) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Credential";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7 || header.Length > 1024)
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var token = header[7..].Trim();
        var adminKey = admin.Value.ApiKey;
        if (!string.IsNullOrEmpty(adminKey) && Tokens.FixedTimeEquals(token, adminKey))
        {
            return Success(new Claim(CredentialClaims.Kind, Policies.Admin), new Claim(ClaimTypes.Name, "admin"));
        }

        if (!token.StartsWith(Tokens.ProducerPrefix, StringComparison.Ordinal))
        {
            return AuthenticateResult.Fail("The bearer token is not valid.");
        }

        var hash = Tokens.Hash(token);
        if (!cache.TryGetProducer(hash, out var producer))
        {
            var epoch = cache.Epoch;
            var found = await db.Producers.AsNoTracking()
                .Where(p => p.TokenHash == hash && p.RevokedAt == null)
                .Select(p => new ProducerIdentity(p.Id, p.Name, p.Sources, p.OrganisationId, p.SigningSecret))
                .FirstOrDefaultAsync(Context.RequestAborted);
            if (found is null)
            {
                return AuthenticateResult.Fail("The bearer token is not valid or has been revoked.");
            }

            cache.AddProducer(hash, found, epoch);
            producer = found;
        }

        var claims = new List<Claim>
        {
            new(CredentialClaims.Kind, Policies.Producer),
            new(ClaimTypes.Name, producer.Name),
            new(CredentialClaims.ProducerId, producer.Id.ToString(CultureInfo.InvariantCulture)),
            new(CredentialClaims.Sources, string.Join(',', producer.Sources)),
        };
        if (producer.OrganisationId is { } org)
        {
            claims.Add(new Claim(CredentialClaims.OrganisationId, org.ToString(CultureInfo.InvariantCulture)));
        }

        if (producer.SigningSecret is { } secret)
        {
            // Not a claim: the ingest endpoint checks the body's signature with it, and nothing else should see it.
            Context.Features.Set(new ProducerSigningKey(secret));
        }

        return Success([.. claims]);
    }

    private AuthenticateResult Success(params Claim[] claims)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
            failure ?? "This endpoint needs 'Authorization: Bearer <token>'.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden",
            "This credential may not use this endpoint.");
}
