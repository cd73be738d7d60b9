using System.ComponentModel.DataAnnotations;
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
[Authorize(Policy = Policies.Admin)]
[Tags("Admin")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
public sealed class OrganisationsController(EventsDbContext db, TimeProvider time, CredentialLookupCache cache) : ControllerBase
{
    /// <summary>Creates an organisation (a tenant), or renames it when it exists.</summary>
    /// <response code="201">Created.</response>
    /// <response code="200">It existed; its name is now the one given.</response>
    /// <response code="400">The request is not valid.</response>
    [HttpPost("api/v1/admin/organisations")]
    [ProducesResponseType<OrganisationResponse>(StatusCodes.Status201Created)]
    [ProducesResponseType<OrganisationResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public async Task<IActionResult> Upsert(OrganisationRequest request, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var organisation = await db.Organisations.FirstOrDefaultAsync(o => o.Id == request.Id!.Value, ct);
        var created = organisation is null;
        if (organisation is null)
        {
            organisation = new Organisation { Id = request.Id!.Value, CreatedAt = now };
            db.Organisations.Add(organisation);
        }

        organisation.Name = request.Name!.Trim();
        organisation.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (created)
        {
            // Created concurrently (by another admin call or an ingested event): it exists now, so rename it.
            db.ChangeTracker.Clear();
            return await Upsert(request, ct);
        }

        var body = new OrganisationResponse(organisation.Id, organisation.Name);
        return created ? Created($"/api/v1/admin/organisations/{organisation.Id}", body) : Ok(body);
    }

    /// <summary>Creates an application token for an organisation: exchanged for an auth token at <c>/api/v1/authenticate</c>.</summary>
    /// <remarks>The token is shown in this answer only; the service keeps just its hash.</remarks>
    /// <param name="id">The organisation id.</param>
    /// <response code="201">Created; <c>application_token</c> is the secret.</response>
    /// <response code="400">The request is not valid.</response>
    /// <response code="404">No such organisation.</response>
    [HttpPost("api/v1/admin/organisations/{id:long}/application_tokens")]
    [ProducesResponseType<CreatedApplicationToken>(StatusCodes.Status201Created)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> CreateToken(long id, ApplicationTokenRequest request, CancellationToken ct)
    {
        if (!await db.Organisations.AnyAsync(o => o.Id == id, ct))
        {
            return Problems.Result(HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not Found", $"There is no organisation {id}.");
        }

        var secret = Tokens.NewApplicationToken();
        var token = new ApplicationToken
        {
            OrganisationId = id,
            Description = request.Description?.Trim(),
            TokenHash = Tokens.Hash(secret),
            CreatedAt = time.GetUtcNow(),
        };
        db.ApplicationTokens.Add(token);
        await db.SaveChangesAsync(ct);
        return Created($"/api/v1/admin/application_tokens/{token.Id}", new CreatedApplicationToken(token.Id, secret));
    }

    /// <summary>Revokes an application token: it, and every auth token made from it, stop working at once.</summary>
    /// <response code="204">Revoked (also when it already was).</response>
    /// <response code="404">No such application token.</response>
    [HttpDelete("api/v1/admin/application_tokens/{id:long}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> RevokeToken(long id, CancellationToken ct)
    {
        var token = await db.ApplicationTokens.FirstOrDefaultAsync(t => t.Id == id, ct);
        if (token is null)
        {
            return Problems.Result(HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not Found", $"There is no application token {id}.");
        }

        token.RevokedAt ??= time.GetUtcNow();
        await Revocations.SaveAsync(db, cache, CredentialLookupCache.ApplicationTokenRevoked(id), ct);
        return NoContent();
    }
}

/// <param name="Id">The organisation's id (emnify's organisation id).</param>
/// <param name="Name">Its name.</param>
public sealed record OrganisationRequest(
    [Required, Range(1, long.MaxValue)] long? Id,
    [Required, StringLength(200, MinimumLength = 1), PrintableText] string? Name);

public sealed record OrganisationResponse(long Id, string? Name);

/// <param name="Description">What the token is for, for people.</param>
public sealed record ApplicationTokenRequest([StringLength(500), PrintableText] string? Description);

/// <param name="ApplicationToken">The secret: shown once.</param>
public sealed record CreatedApplicationToken(long Id, string ApplicationToken);
