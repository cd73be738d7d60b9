using System.Globalization;
using EventService.Api.Auth;
using EventService.Api.Catalog;
using EventService.Api.Infrastructure;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using EventService.Api.RateLimits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace EventService.Api.Ingestion;

[EnableRateLimiting(RateLimitPolicies.Ingest)]
[ApiController]
[Route("api/v1/event")]
[Tags("Ingest")]
public sealed class IngestionController(
    IngestionService ingestion,
    EventSearch events,
    CatalogProvider catalog,
    Idempotency idempotency,
    IOptions<IngestionOptions> options,
    IOptions<StorageOptions> storage,
    TimeProvider time) : ControllerBase
{
    /// <summary>Posts one emnify event, or an array of up to 3000 (the Data Streamer's bulk mode).</summary>
    /// <remarks>
    /// Each event is checked against the catalog and the rules (type, severity, source, organisation, timestamp
    /// inside the acceptance window, `detail` against the type's schema, limits). Tolerated: the timestamp formats
    /// emnify's producers send, `alert` as 0/1, `event_source.name`, any casing of severity text, iccid/imsi as JSON
    /// numbers, missing or null sub-objects, unknown extra properties (kept). A 2xx means the events are committed.
    /// An event with the `id` and `timestamp` of a stored one is a duplicate and is not stored again; an event
    /// without `id` gets one. Rejected items are kept in the quarantine (`GET /api/v1/admin/quarantine`).
    ///
    /// Retries: with an `Idempotency-Key` header (1 to 255 printable ASCII characters, unique per request of the
    /// credential) the first answer (2xx or 422) is committed with the events and kept for 24 hours; a request with the
    /// same key and the same body bytes writes nothing and gets that answer again (same status, `Location` and body)
    /// with `Idempotent-Replayed: true`, also while the first is still being written (it waits). A signing producer's
    /// `webhook-id` works the same way for 10 minutes, so a captured signed post cannot be stored twice.
    /// </remarks>
    /// <param name="idempotencyKey">Names the request for retries: the same key with the same body replays the first answer.</param>
    /// <param name="ct">Aborted when the client goes away.</param>
    /// <response code="201">A single event was stored; the body is the stored event.</response>
    /// <response code="200">An array was processed: counts and one result per item. (A single event that was a
    /// duplicate also answers 200, with the stored event as the body.)</response>
    /// <response code="400">The body is not JSON, not an event object or array, or an empty array; or the
    /// `Idempotency-Key` is empty, longer than 255 characters, not printable ASCII or sent twice (type `invalid-idempotency-key`).</response>
    /// <response code="401">No valid producer token or organisation auth token; or, for a producer that signs its
    /// posts, a missing or wrong `webhook-signature` (type `invalid-signature`).</response>
    /// <response code="403">The credential may not post events (e.g. the admin key).</response>
    /// <response code="413">The body exceeds 10 MB or the array holds more than 3000 events; or, for a request with a key,
    /// its answer would exceed the 1 MB kept for a replay (nothing is written).</response>
    /// <response code="415">The content type is not application/json.</response>
    /// <response code="422">The single event, or every event of the array, was rejected; field errors keyed by JSON path.
    /// Or the `Idempotency-Key` (or `webhook-id`) came with another body before (type `idempotency-key-reused`; nothing is written).</response>
    /// <response code="503">Nothing was written: the database is unreachable (`database-unavailable`), or the request
    /// was not taken by a writer within `Ingestion:RequestTimeout` or found the write queue full (`write-refused`).
    /// Retry after `Retry-After` seconds.</response>
    [HttpPost]
    [Authorize(Policy = Policies.Ingest)]
    [ProducesResponseType<EventDocument>(StatusCodes.Status201Created)]
    [ProducesResponseType<BatchResponse>(StatusCodes.Status200OK)]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status400BadRequest, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status401Unauthorized, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status403Forbidden, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status413PayloadTooLarge, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status415UnsupportedMediaType, "application/problem+json")]
    [ProducesResponseType<ValidationProblemDetails>(StatusCodes.Status422UnprocessableEntity, "application/problem+json")]
    [ProducesResponseType<ProblemDetails>(StatusCodes.Status503ServiceUnavailable, "application/problem+json")]
    public async Task<IActionResult> Post([FromHeader(Name = Idempotency.KeyHeader)] string? idempotencyKey, CancellationToken ct)
    {
        var producer = HttpContext.Features.GetRequiredFeature<Producer>();
        // The parameter describes the header to Swagger; the binder splits a value at commas, so it is read as sent.
        _ = idempotencyKey;
        if (Idempotency.ReadKey(Request, out var key) is { } keyProblem)
        {
            return keyProblem;
        }

        using var body = await IngestBody.ReadAsync(Request, producer.SigningKey, options.Value, time, ct);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        var keys = idempotency.KeysOf(producer, key, Request.Headers);
        if (keys.Count == 0)
        {
            var results = await ingestion.IngestAsync(body.Events, producer.Permissions, producer.Id, ct);
            return await AnswerAsync(body.IsBatch, results, ct);
        }

        var keyed = idempotency.Begin(keys, body.Bytes.Span, ControllerContext, (results, token) => AnswerAsync(body.IsBatch, results, token));
        await ingestion.IngestAsync(body.Events, producer.Permissions, producer.Id, keyed, ct);
        return Idempotency.Answer(keyed.Outcome!, HttpContext);
    }

    private async Task<IActionResult> AnswerAsync(bool isBatch, ItemResult[] results, CancellationToken ct) =>
        isBatch ? AnswerBatch(results) : await AnswerOneAsync(results[0], ct);

    private async Task<IActionResult> AnswerOneAsync(ItemResult result, CancellationToken ct)
    {
        switch (result.Status)
        {
            case ItemStatus.Accepted:
                Response.Headers.Location = $"/api/v1/event/{result.Id!.Value.ToString(CultureInfo.InvariantCulture)}";
                return new JsonBytesResult(EventJson.Serialize(EventTable.View(result.Event!, result.Id!.Value), catalog.Current), StatusCodes.Status201Created);
            case ItemStatus.Duplicate:
                // The body is the stored event; should it have gone meanwhile (retention), the one posted.
                // REVIEW: for a keyed request this read takes a second pooled connection while its transaction holds one.
                var posted = EventTable.View(result.Event!, result.Id!.Value);
                // Bounded like the write it follows, so that a frozen database cannot hold this answer longer.
                var stored = await DatabaseTimeout.RunAsync(
                    token => events.FindAsync(result.Event!.OrganisationId, posted.Id, posted.Timestamp, token),
                    storage.Value.WriteCommandTimeout, "Reading the stored duplicate", ct) ?? posted;

                Response.Headers.Location = $"/api/v1/event/{result.Id!.Value.ToString(CultureInfo.InvariantCulture)}";
                return new JsonBytesResult(EventJson.Serialize(stored, catalog.Current), StatusCodes.Status200OK);
            default:
                var problem = new ValidationProblemDetails(result.Errors!.ToDictionary())
                {
                    Status = StatusCodes.Status422UnprocessableEntity,
                    Type = ProblemTypes.Validation,
                    Title = "The event is not valid.",
                    Detail = "See 'errors': messages keyed by JSON path. The event was not stored; it is kept in the quarantine.",
                    Instance = Request.Path,
                };
                if (result.Id is { } id)
                {
                    problem.Extensions["id"] = id;
                }

                return new ProblemResult(problem);
        }
    }

    private IActionResult AnswerBatch(ItemResult[] results)
    {
        var response = new BatchResponse(
            results.Count(r => r.Status == ItemStatus.Accepted),
            results.Count(r => r.Status == ItemStatus.Duplicate),
            results.Count(r => r.Status == ItemStatus.Rejected),
            results.Select(r => new BatchItemResult(r.Index, r.Id, StatusName(r.Status), r.Errors)).ToList());

        if (response.Rejected < results.Length)
        {
            return Ok(response);
        }

        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Type = ProblemTypes.BatchRejected,
            Title = "Every event of the array was rejected.",
            Detail = "See 'results': field errors per item, keyed by JSON path. Nothing was stored; the items are kept in the quarantine.",
            Instance = Request.Path,
        };
        problem.Extensions["accepted"] = 0;
        problem.Extensions["duplicates"] = 0;
        problem.Extensions["rejected"] = response.Rejected;
        problem.Extensions["results"] = response.Results;
        return new ProblemResult(problem);
    }

    // Two strings fewer per item of an array than Enum.ToString().ToLowerInvariant().
    private static string StatusName(ItemStatus status) => status switch
    {
        ItemStatus.Accepted => "accepted",
        ItemStatus.Duplicate => "duplicate",
        _ => "rejected",
    };
}
