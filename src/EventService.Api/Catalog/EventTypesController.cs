using EventService.Api.Auth;
using EventService.Api.RateLimits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace EventService.Api.Catalog;

[EnableRateLimiting(RateLimitPolicies.Read)]
[ApiController]
[Route("api/v1/event/type")]
[Tags("Catalog")]
public sealed class EventTypesController(CatalogProvider catalog) : ControllerBase
{
    /// <summary>The event-type catalog, as emnify answers it.</summary>
    /// <response code="200">Every known type, ordered by id.</response>
    /// <response code="401">No valid credential.</response>
    [HttpGet]
    [Authorize]
    [ProducesResponseType<IReadOnlyList<EventTypeResponse>>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    public IReadOnlyList<EventTypeResponse> List() =>
        catalog.Current.Types.OrderBy(t => t.Id).Select(t => new EventTypeResponse(t.Id, t.Description)).ToList();
}

public sealed record EventTypeResponse(int Id, string Description);
