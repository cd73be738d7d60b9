using System.Globalization;
using System.Text.Json;
using EventService.Api.Auth;
using EventService.Api.RateLimits;
using EventService.Api.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Quarantine;

[EnableRateLimiting(RateLimitPolicies.Read)]
[ApiController]
[Route("api/v1/admin/quarantine")]
[Authorize(Policy = Policies.Admin)]
[Tags("Admin")]
public sealed class QuarantineController(EventsDbContext db) : ControllerBase
{
    public const int MaxPerPage = 1000;

    /// <summary>Rejected items, newest first, with the reasons and who posted them; paged like the event lists.</summary>
    /// <param name="page">1-based page; below 1 means the first.</param>
    /// <param name="perPage">Items per page (default 100, at most 1000).</param>
    /// <param name="ct">Aborted when the client goes away.</param>
    /// <response code="200">A page of items; <c>X-Total-Count</c> and <c>X-Total-Pages</c> tell how many there are.</response>
    /// <response code="401">No valid credential.</response>
    /// <response code="403">Not the admin key.</response>
    [HttpGet]
    [ProducesResponseType<IReadOnlyList<QuarantinedItemResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    public async Task<IReadOnlyList<QuarantinedItemResponse>> List(
        [FromQuery] int page = 1, [FromQuery(Name = "per_page")] int perPage = 100, CancellationToken ct = default)
    {
        perPage = perPage < 1 ? 100 : Math.Min(perPage, MaxPerPage);
        var total = await db.Quarantine.CountAsync(ct);
        var pages = Math.Max(1, (total + perPage - 1) / perPage);
        page = Math.Clamp(page, 1, pages);

        var rows = await db.Quarantine.AsNoTracking()
            .OrderByDescending(q => q.Id)
            .Skip((page - 1) * perPage).Take(perPage)
            .ToListAsync(ct);

        Response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        Response.Headers["X-Total-Pages"] = pages.ToString(CultureInfo.InvariantCulture);
        Response.Headers["X-Current-Page"] = page.ToString(CultureInfo.InvariantCulture);
        Response.Headers["X-Count-Per-Page"] = perPage.ToString(CultureInfo.InvariantCulture);
        return rows.Select(r => new QuarantinedItemResponse(
            r.Id, r.ReceivedAt, r.ProducerId, r.OrganisationId, r.ItemIndex, r.EventId,
            JsonSerializer.Deserialize<Dictionary<string, string[]>>(r.Errors) ?? [],
            r.Payload, r.PayloadTruncated)).ToList();
    }
}

/// <param name="ProducerId">The producer credential that posted it; null when an organisation's auth token did.</param>
/// <param name="OrganisationId">The organisation whose own auth token posted it; null when a producer did.</param>
/// <param name="Errors">Messages by JSON path, bounded: at most 50 paths of 5 messages, each cut at 200 characters; the
/// <c>…</c> path counts what was left out.</param>
/// <param name="Payload">The item's JSON text as posted (cut off when <c>payload_truncated</c>).</param>
public sealed record QuarantinedItemResponse(
    long Id, DateTimeOffset ReceivedAt, long? ProducerId, long? OrganisationId, int ItemIndex, long? EventId,
    IReadOnlyDictionary<string, string[]> Errors, string Payload, bool PayloadTruncated);
