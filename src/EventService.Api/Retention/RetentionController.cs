using EventService.Api.Auth;
using EventService.Api.RateLimits;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace EventService.Api.Retention;

[EnableRateLimiting(RateLimitPolicies.Read)]
[ApiController]
[Route("api/v1/admin/retention")]
[Authorize(Policy = Policies.Admin)]
[Tags("Admin")]
public sealed class RetentionController(
    EventsDbContext db, EventPartitions partitions, IOptions<RetentionOptions> options, RetentionWindow window) : ControllerBase
{
    /// <summary>The retention policy, the latest purge round of any instance, and the oldest event kept.</summary>
    /// <param name="ct">Aborted when the client goes away.</param>
    /// <response code="200">The policy, the cutoff now, the oldest stored event (null when none) and the last round (null before the first).</response>
    /// <response code="401">No valid credential.</response>
    /// <response code="403">Not the admin key.</response>
    [HttpGet]
    [ProducesResponseType<RetentionStatus>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    public async Task<RetentionStatus> Get(CancellationToken ct)
    {
        var o = options.Value;
        var last = await db.RetentionRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RetentionRun.LatestId, ct);
        var oldest = await partitions.OldestEventAsync(ct);
        return new RetentionStatus(
            o.Enabled, window.Period, o.Interval, window.Cutoff, oldest,
            last is null ? null : new RetentionRunSummary(
                last.StartedAt, last.FinishedAt, last.DurationMs, last.Cutoff, last.PartitionsDropped,
                last.RowsDeleted, last.QuarantineDeleted, last.Skipped, last.Error));
    }
}

/// <param name="Enabled">Whether the job purges (<c>Retention:Enabled</c>).</param>
/// <param name="Period">How long events are kept, as <c>d.hh:mm:ss</c>.</param>
/// <param name="Interval">How often the job runs, as <c>d.hh:mm:ss</c>.</param>
/// <param name="Cutoff">Events older than this are refused by ingest and removed by the next round.</param>
/// <param name="OldestEvent">Timestamp of the oldest event stored; null when there is none.</param>
/// <param name="LastRun">The latest round of any instance; null before the first.</param>
public sealed record RetentionStatus(
    bool Enabled, TimeSpan Period, TimeSpan Interval, DateTimeOffset Cutoff, DateTimeOffset? OldestEvent, RetentionRunSummary? LastRun);

/// <param name="Cutoff">The round removed what was older than this.</param>
/// <param name="RowsDeleted">Events deleted from the partition that straddles the cutoff (dropped partitions are not counted row by row).</param>
/// <param name="Skipped">Another instance held the purge lock, so this round did nothing.</param>
/// <param name="Error">Why the round failed; null when it succeeded. The next round tries again.</param>
public sealed record RetentionRunSummary(
    DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long DurationMs, DateTimeOffset Cutoff, int PartitionsDropped,
    long RowsDeleted, long QuarantineDeleted, bool Skipped, string? Error);
