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
[Route("api/v1/admin/producers")]
[Authorize(Policy = Policies.Admin)]
[Tags("Admin")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
public sealed class ProducersController(EventsDbContext db, TimeProvider time, CredentialLookupCache cache) : ControllerBase
{
    /// <summary>Creates a producer credential: a bearer token that may post events of the given sources.</summary>
    /// <remarks>
    /// The token is shown in this answer only; the service keeps just its hash. With <c>"signing_secret": true</c> the
    /// answer also holds a Standard Webhooks secret (<c>whsec_...</c>, shown once), and every post of this producer
    /// must then carry valid <c>webhook-id</c>, <c>webhook-timestamp</c> and <c>webhook-signature</c> headers.
    /// </remarks>
    /// <response code="201">Created; <c>token</c> is the bearer token, <c>signing_secret</c> the signing secret when asked for.</response>
    /// <response code="400">The request is not valid.</response>
    [HttpPost]
    [ProducesResponseType<CreatedProducer>(StatusCodes.Status201Created)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public async Task<IActionResult> Create(CreateProducerRequest request, CancellationToken ct)
    {
        var sources = request.Sources ?? [];
        if (sources.Length == 0 || sources.Any(s => s is < 0 or > 2) || sources.Distinct().Count() != sources.Length)
        {
            ModelState.AddModelError("sources", "Give one or more distinct source ids: 0 Network, 1 Policy Control, 2 API.");
            return Problems.FromModelState(ControllerContext);
        }

        var token = Tokens.NewProducerToken();
        var producer = new ProducerCredential
        {
            Name = request.Name!.Trim(),
            TokenHash = Tokens.Hash(token),
            Sources = [.. sources.Order()],
            OrganisationId = request.OrganisationId,
            SigningSecret = request.SigningSecret == true ? WebhookSignature.NewSecret() : null,
            CreatedAt = time.GetUtcNow(),
        };
        db.Producers.Add(producer);
        await db.SaveChangesAsync(ct);
        var created = new CreatedProducer(producer.Id, token, producer.Name, producer.Sources, producer.OrganisationId,
            producer.SigningSecret is { } secret ? WebhookSignature.Format(secret) : null);
        return Created($"/api/v1/admin/producers/{producer.Id}", created);
    }

    /// <summary>Lists producer credentials (never their tokens).</summary>
    [HttpGet]
    [ProducesResponseType<IReadOnlyList<ProducerSummary>>(StatusCodes.Status200OK)]
    public async Task<IReadOnlyList<ProducerSummary>> List(CancellationToken ct) =>
        await db.Producers.AsNoTracking().OrderBy(p => p.Id)
            .Select(p => new ProducerSummary(p.Id, p.Name, p.Sources, p.OrganisationId, p.SigningSecret != null, p.CreatedAt, p.RevokedAt))
            .ToListAsync(ct);

    /// <summary>Revokes a producer credential; it stops working at once.</summary>
    /// <response code="204">Revoked (also when it already was).</response>
    /// <response code="404">No such producer.</response>
    [HttpDelete("{id:long}")]
    [ProducesResponseType(StatusCodes.Status204NoContent)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> Revoke(long id, CancellationToken ct)
    {
        var producer = await db.Producers.FirstOrDefaultAsync(p => p.Id == id, ct);
        if (producer is null)
        {
            return Problems.Result(HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not Found", $"There is no producer {id}.");
        }

        producer.RevokedAt ??= time.GetUtcNow();
        await Revocations.SaveAsync(db, cache, CredentialLookupCache.ProducerRevoked(id), ct);
        return NoContent();
    }
}

/// <param name="Name">What the producer is, for people (e.g. <c>core-network</c>).</param>
/// <param name="Sources">Source ids it may post: 0 Network, 1 Policy Control, 2 API.</param>
/// <param name="OrganisationId">The one organisation it may post events of; null for any.</param>
/// <param name="SigningSecret">True: generate a Standard Webhooks signing secret; its posts must then be signed.</param>
public sealed record CreateProducerRequest(
    [Required, StringLength(200, MinimumLength = 1), PrintableText] string? Name,
    [Required] short[]? Sources,
    long? OrganisationId,
    bool? SigningSecret = null);

/// <param name="SigningSecret">The signing secret (<c>whsec_</c> and base64), shown once; null when the producer does not sign.</param>
public sealed record CreatedProducer(long Id, string Token, string Name, short[] Sources, long? OrganisationId, string? SigningSecret);

/// <param name="Signed">Whether its posts must be signed.</param>
public sealed record ProducerSummary(long Id, string Name, short[] Sources, long? OrganisationId, bool Signed, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
