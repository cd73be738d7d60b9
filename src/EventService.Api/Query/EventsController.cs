using EventService.Api.Auth;
using EventService.Api.Catalog;
using EventService.Api.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;

namespace EventService.Api.Query;

[ApiController]
[Route("api/v1/event")]
[Tags("Events")]
public sealed class EventsController(EventReader reader, CatalogProvider catalog) : ControllerBase
{
    /// <summary>One event, in emnify's shape.</summary>
    /// <param name="id">The event id (64-bit).</param>
    /// <param name="ct">Aborted when the client goes away.</param>
    /// <response code="200">The event.</response>
    /// <response code="401">No valid credential.</response>
    /// <response code="403">The credential may not read events.</response>
    /// <response code="404">No such event.</response>
    [HttpGet("{id:long}")]
    [Authorize(Policy = Policies.Reader)]
    [ProducesResponseType<EventDocument>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status404NotFound, "application/problem+json")]
    public async Task<IActionResult> Get(long id, CancellationToken ct)
    {
        var stored = await reader.FindAsync(id, ct);
        return stored is null
            ? Problems.Result(HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not Found", $"There is no event {id}.")
            : new JsonBytesResult(EventJson.Serialize(stored, catalog.Current), StatusCodes.Status200OK);
    }
}
