using System.Globalization;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
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
[ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
[ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
public sealed class RetentionController(
    EventsDbContext db, EventPartitions partitions, IOptions<RetentionOptions> options, RetentionWindow window, RetentionPurger purger) : ControllerBase
{
    /// <summary>The retention policy, whether this instance would purge now, the latest purge round of any instance, and the oldest event kept.</summary>
    /// <param name="ct">Aborted when the client goes away.</param>
    /// <response code="200">The policy, the cutoff now, the oldest stored event (null when none) and the last round (null before the first).</response>
    [HttpGet]
    [ProducesResponseType<RetentionStatus>(StatusCodes.Status200OK)]
    public async Task<RetentionStatus> Get(CancellationToken ct)
    {
        var o = options.Value;
        var check = await purger.CheckAsync(ct);
        var last = await db.RetentionRuns.AsNoTracking().FirstOrDefaultAsync(r => r.Id == RetentionRun.LatestId, ct);
        var oldest = await partitions.OldestEventAsync(ct);
        return new RetentionStatus(
            o.Enabled, window.Period, window.ConfiguredPeriod, o.Interval, check.Cutoff, oldest, check.Blocked,
            last is null ? null : new RetentionRunSummary(
                last.StartedAt, last.FinishedAt, last.DurationMs, last.Cutoff, last.PartitionsDropped,
                last.RowsDeleted, last.QuarantineDeleted, last.Skipped, last.PurgeBlocked, last.Error));
    }

    /// <summary>Changes the retention period for every instance.</summary>
    /// <remarks>
    /// Stored in the database: this instance uses it at once (ingest's acceptance window, reads, partitions), every
    /// other at its next retention round (<c>Retention:Interval</c>); every purge reads it afresh. An instance whose
    /// <c>Retention:Period</c> differs from it keeps serving but does not purge until its configuration says the same.
    /// </remarks>
    /// <response code="200">Stored; the answer is the policy as <c>GET</c> shows it.</response>
    /// <response code="400">The period is missing, not <c>d.hh:mm:ss</c>, shorter than a day or longer than 3650 days.</response>
    [HttpPut]
    [ProducesResponseType<RetentionStatus>(StatusCodes.Status200OK)]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    public async Task<IActionResult> Put(SetRetentionRequest request, CancellationToken ct)
    {
        if (!TimeSpan.TryParseExact(request.Period, "c", CultureInfo.InvariantCulture, out var period))
        {
            ModelState.AddModelError("period", "must be a duration as d.hh:mm:ss, such as 30.00:00:00");
            return Problems.FromModelState(ControllerContext);
        }

        if (period < RetentionWindow.MinPeriod || period > RetentionWindow.MaxPeriod)
        {
            ModelState.AddModelError("period", "must lie between 1.00:00:00 (a day) and 3650.00:00:00");
            return Problems.FromModelState(ControllerContext);
        }

        await window.StoreAsync(period, ct);
        return Ok(await Get(ct));
    }
}

/// <param name="Period">The new retention period, as <c>d.hh:mm:ss</c> (e.g. <c>30.00:00:00</c>).</param>
public sealed record SetRetentionRequest(string? Period);

/// <param name="Enabled">Whether the job purges (<c>Retention:Enabled</c>).</param>
/// <param name="Period">How long events are kept, as <c>d.hh:mm:ss</c>: the period stored in the database, which every instance uses.</param>
/// <param name="ConfiguredPeriod">This instance's <c>Retention:Period</c>; when it differs from <c>period</c> the instance does not purge.</param>
/// <param name="Interval">How often the job runs, as <c>d.hh:mm:ss</c>.</param>
/// <param name="Cutoff">The database's clock minus the period: older events are removed by the next round.</param>
/// <param name="OldestEvent">Timestamp of the oldest event stored; null when there is none.</param>
/// <param name="PurgeBlocked">Why the instance answering would refuse to purge now (its configuration, or its clock against the database's); null when it would purge.</param>
/// <param name="LastRun">The latest round of any instance; null before the first.</param>
public sealed record RetentionStatus(
    bool Enabled, TimeSpan Period, TimeSpan ConfiguredPeriod, TimeSpan Interval, DateTimeOffset Cutoff, DateTimeOffset? OldestEvent,
    string? PurgeBlocked, RetentionRunSummary? LastRun);

/// <param name="Cutoff">The round removed what was older than this.</param>
/// <param name="RowsDeleted">Events deleted from the partition that straddles the cutoff (dropped partitions are not counted row by row).</param>
/// <param name="Skipped">Another instance held the purge lock, so this round did nothing.</param>
/// <param name="PurgeBlocked">Why the instance of this round refused to purge; null when it did not refuse.</param>
/// <param name="Error">Why the round failed; null when it succeeded. The next round tries again.</param>
public sealed record RetentionRunSummary(
    DateTimeOffset StartedAt, DateTimeOffset FinishedAt, long DurationMs, DateTimeOffset Cutoff, int PartitionsDropped,
    long RowsDeleted, long QuarantineDeleted, bool Skipped, string? PurgeBlocked, string? Error);
