using EventService.Api.Infrastructure;
using EventService.Api.RateLimits;
using EventService.Api.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Auth;

[EnableRateLimiting(RateLimitPolicies.Read)]
[ApiController]
[Tags("Authentication")]
public sealed class AuthenticateController(EventsDbContext db, AuthTokens tokens) : ControllerBase
{
    /// <summary>Largest body of <c>/api/v1/authenticate</c>: an application token is at most 1024 characters.</summary>
    public const int MaxBodyBytes = 4096;

    /// <summary>Exchanges an application token for an auth token (a JWT) to send as <c>Authorization: Bearer</c>.</summary>
    /// <remarks>
    /// The auth token carries the organisation and lives 240 minutes by default; clients authenticate again on a 401.
    /// In Swagger UI: call this, copy <c>auth_token</c>, and paste it into "Authorize".
    /// </remarks>
    /// <response code="200">The auth token.</response>
    /// <response code="400">The body is not <c>{"application_token": "..."}</c>.</response>
    /// <response code="401">The application token is unknown or revoked.</response>
    /// <response code="413">The body is larger than 4 KB.</response>
    [HttpPost("api/v1/authenticate")]
    [AllowAnonymous]
    [RequestSizeLimit(MaxBodyBytes)] // anonymous: never buffer a large body to find the token in it
    [ProducesResponseType<AuthenticateResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    public async Task<IActionResult> Authenticate(AuthenticateRequest request, CancellationToken ct)
    {
        var hash = Tokens.Hash(request.ApplicationToken!);
        var token = await db.ApplicationTokens.AsNoTracking()
            .Where(t => t.TokenHash == hash && t.RevokedAt == null)
            .Select(t => new { t.Id, t.OrganisationId })
            .FirstOrDefaultAsync(ct);
        if (token is null)
        {
            Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Result(HttpContext, StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
                "The application token is not valid or has been revoked.");
        }

        return Ok(new AuthenticateResponse(tokens.Issue(token.Id, token.OrganisationId)));
    }
}

/// <param name="ApplicationToken">An application token from <c>POST /api/v1/admin/organisations/{id}/application_tokens</c>.</param>
public sealed record AuthenticateRequest([System.ComponentModel.DataAnnotations.Required, System.ComponentModel.DataAnnotations.StringLength(1024, MinimumLength = 1)] string? ApplicationToken);

public sealed record AuthenticateResponse(string AuthToken);
