using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using EventService.Api.Auth;
using EventService.Api.Catalog;
using EventService.Api.Infrastructure;
using EventService.Api.RateLimits;
using EventService.Api.Storage.Events;
using EventService.Domain.Queries;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace EventService.Api.Query;

/// <summary>emnify's read API: the caller's organisation always comes from its auth token.</summary>
[EnableRateLimiting(RateLimitPolicies.Read)]
[ApiController]
[Authorize(Policy = Policies.Organisation)]
[Tags("Events")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
public sealed class EventsController(EventSearch search, CatalogProvider catalog, RetentionWindow retention, ListStreamingStats streaming) : ControllerBase
{
    /// <summary>The events of the caller's organisation: filtered by <c>q</c>, sorted by <c>sort</c>, paged.</summary>
    /// <remarks>
    /// The body is a bare array in emnify's shape, sent as it is read; paging travels in headers: `Link` (first, prev,
    /// next, last, keeping q and sort), `X-Count-Per-Page`, `X-Current-Page`, `X-Total-Count` (exact), `X-Total-Pages`,
    /// `X-Filter`, `X-Sort`. A page past the last answers the last page.
    /// </remarks>
    /// <response code="200">A page of events (possibly empty).</response>
    /// <response code="400">An unknown sort field, or a page or per_page that is not a number.</response>
    /// <response code="422">A malformed q or an unknown q field (`errors` names the bad part), or a sort by another field than id or timestamp over more than `Query:MaxSortRows` matching events (`sort-too-large`).</response>
    [HttpGet("api/v1/event")]
    [ProducesResponseType<IReadOnlyList<EventDocument>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public Task<IActionResult> List([FromQuery] ListParameters parameters, CancellationToken ct) =>
        ListAsync(new EventScope(OrganisationId), parameters, ct);

    /// <summary>The events of one endpoint (device) of the caller's organisation; an unknown id answers an empty list.</summary>
    /// <param name="endpointId" example="90001">The endpoint id.</param>
    /// <response code="200">A page of events (empty for an unknown or foreign endpoint).</response>
    /// <response code="400">A non-numeric endpoint id, an unknown sort field, or a bad page.</response>
    /// <response code="422">A malformed q, or a sort by another field than id or timestamp over more than `Query:MaxSortRows` matching events.</response>
    [HttpGet("api/v1/endpoint/{endpoint_id}/event")]
    [ProducesResponseType<IReadOnlyList<EventDocument>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public Task<IActionResult> ByEndpoint([FromRoute(Name = "endpoint_id")] string endpointId, [FromQuery] ListParameters parameters, CancellationToken ct) =>
        TryParseId(endpointId, "endpoint_id", out var id, out var problem)
            ? ListAsync(new EventScope(OrganisationId, EndpointId: id), parameters, ct)
            : Task.FromResult(problem);

    /// <summary>The events of one SIM of the caller's organisation; an unknown id answers an empty list.</summary>
    /// <param name="simId" example="700001">The SIM id.</param>
    /// <response code="200">A page of events (empty for an unknown or foreign SIM).</response>
    /// <response code="400">A non-numeric SIM id, an unknown sort field, or a bad page.</response>
    /// <response code="422">A malformed q, or a sort by another field than id or timestamp over more than `Query:MaxSortRows` matching events.</response>
    [HttpGet("api/v1/sim/{sim_id}/event")]
    [ProducesResponseType<IReadOnlyList<EventDocument>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public Task<IActionResult> BySim([FromRoute(Name = "sim_id")] string simId, [FromQuery] ListParameters parameters, CancellationToken ct) =>
        TryParseId(simId, "sim_id", out var id, out var problem)
            ? ListAsync(new EventScope(OrganisationId, SimId: id), parameters, ct)
            : Task.FromResult(problem);

    /// <summary>The events of one user of the caller's organisation; <c>my</c> is the caller's own user.</summary>
    /// <remarks>An application token acts for no user, so <c>/api/v1/user/my/event</c> answers an empty list.</remarks>
    /// <param name="userId" example="123">The user id, or <c>my</c>.</param>
    /// <response code="200">A page of events (empty for an unknown or foreign user).</response>
    /// <response code="400">A non-numeric user id, an unknown sort field, or a bad page.</response>
    /// <response code="422">A malformed q, or a sort by another field than id or timestamp over more than `Query:MaxSortRows` matching events.</response>
    [HttpGet("api/v1/user/{user_id}/event")]
    [ProducesResponseType<IReadOnlyList<EventDocument>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    public Task<IActionResult> ByUser([FromRoute(Name = "user_id")] string userId, [FromQuery] ListParameters parameters, CancellationToken ct)
    {
        if (userId == "my")
        {
            // No user stands behind an application token: an id no user has keeps the paging headers true.
            return ListAsync(new EventScope(OrganisationId, UserId: long.MinValue), parameters, ct);
        }

        return TryParseId(userId, "user_id", out var id, out var problem)
            ? ListAsync(new EventScope(OrganisationId, UserId: id), parameters, ct)
            : Task.FromResult(problem);
    }

    /// <summary>One event of the caller's organisation, in emnify's shape.</summary>
    /// <param name="id" example="351732524384257">The event id (64-bit).</param>
    /// <response code="200">The event.</response>
    /// <response code="404">No such event in the caller's organisation.</response>
    [HttpGet("api/v1/event/{id:long}")]
    [ProducesResponseType<EventDocument>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> Get(long id, CancellationToken ct)
    {
        var stored = await search.FindAsync(OrganisationId, id, ct);
        return stored is null
            ? Problems.Result(HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not Found", $"There is no event {id}.")
            : new JsonBytesResult(EventJson.Serialize(stored, catalog.Current), StatusCodes.Status200OK);
    }

    private long OrganisationId => long.Parse(User.FindFirstValue(CredentialClaims.OrganisationId)!, CultureInfo.InvariantCulture);

    private async Task<IActionResult> ListAsync(EventScope scope, ListParameters parameters, CancellationToken ct)
    {
        var parsed = EventQueryParser.Parse(parameters.Q, parameters.Sort, parameters.Page, parameters.PerPage, retention.Period);
        if (parsed.Query is not { } query)
        {
            return QueryProblem(parsed.Errors);
        }

        await using var writer = new EventListWriter(HttpContext, query, catalog.Current, streaming);
        try
        {
            await search.SearchAsync(scope, query, writer, ct);
        }
        catch (SortTooLargeException tooLarge)
        {
            return Problems.Result(HttpContext, StatusCodes.Status422UnprocessableEntity, ProblemTypes.SortTooLarge, "Sort Too Large",
                $"{tooLarge.Message} Narrow the filter (q), for example with a time window (from/until), or sort by id or timestamp " +
                $"(Query:MaxSortRows is {tooLarge.Limit:N0}).");
        }

        await writer.CompleteAsync(ct);
        return new EmptyResult();
    }

    private IActionResult QueryProblem(IReadOnlyList<QueryError> errors)
    {
        // A bad q is a 422 (emnify's answer); a bad sort or page is a 400. When both occur, the 400 wins.
        var badRequest = errors.Any(e => e.Kind != QueryErrorKind.Filter);
        var problem = new ValidationProblemDetails(errors.GroupBy(e => e.Parameter).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = badRequest ? StatusCodes.Status400BadRequest : StatusCodes.Status422UnprocessableEntity,
            Type = badRequest ? ProblemTypes.InvalidQuery : ProblemTypes.InvalidFilter,
            Title = badRequest ? "The list parameters are not valid." : "The filter (q) is not valid.",
            Detail = string.Join("; ", errors.Select(e => $"{e.Parameter}: {e.Message}")),
            Instance = Request.Path,
        };
        return new ProblemResult(problem);
    }

    private bool TryParseId(string text, string name, out long id, out IActionResult problem)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            problem = null!;
            return true;
        }

        problem = Problems.Result(HttpContext, StatusCodes.Status400BadRequest, ProblemTypes.InvalidQuery, "Bad Request",
            $"{name} must be a number.");
        return false;
    }
}

/// <summary>emnify's list parameters.</summary>
public sealed class ListParameters
{
    /// <summary>
    /// Filter: comma-separated <c>field:value</c> pairs, ANDed. Fields: <c>type</c> (id), <c>source</c> (0 Network,
    /// 1 Policy Control, 2 API), <c>severity</c> (0 Info, 1 Warn, 2 Critical), <c>alert</c> (true/false),
    /// <c>description</c> (substring), <c>organisation</c>, <c>user</c>, <c>endpoint</c> (names), <c>tags</c>
    /// (substring), <c>ip_address</c>, <c>imei</c>, <c>iccid</c> (shorter than 20 digits: a prefix),
    /// <c>iccid_with_luhn</c>, <c>imsi</c>, <c>timestamp</c> (one whole UTC day), <c>from</c> and <c>until</c>
    /// (<c>YYYY-MM-DDTHH:mm:ssZ</c>, only together, at most the retention period apart), <c>network</c> (operator name), <c>rat</c> (PDP RAT type),
    /// <c>country</c> (name). <c>type</c>, <c>endpoint</c>, <c>iccid</c>, <c>iccid_with_luhn</c>, <c>network</c>,
    /// <c>rat</c> and <c>country</c> take up to 6 values joined by <c>|</c> (OR). Names compare case-insensitively.
    /// </summary>
    /// <example>type:1|3,severity:1,from:2026-11-20T08:00:00Z,until:2026-11-20T09:00:00Z</example>
    [FromQuery(Name = "q")]
    public string? Q { get; set; }

    /// <summary>
    /// Comma-separated fields, <c>-</c> for descending: id, timestamp, source, severity, alert, organisation, user,
    /// endpoint, tags, ip_address, iccid, imsi, type. Default <c>id</c>.
    /// </summary>
    /// <example>-timestamp,id</example>
    [FromQuery(Name = "sort")]
    public string? Sort { get; set; }

    /// <summary>1-based page; below 1 is the first page, past the last is the last page.</summary>
    /// <example>1</example>
    [FromQuery(Name = "page")]
    public string? Page { get; set; }

    /// <summary>Events per page: default 100, at most 1000 (more is clamped), below 1 is the default.</summary>
    /// <example>100</example>
    [FromQuery(Name = "per_page")]
    public string? PerPage { get; set; }
}
