using System.Globalization;
using System.Security.Cryptography;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace EventService.Api.Ingestion;

/// <summary>
/// Replays on ingest. An <c>Idempotency-Key</c> (Stripe's convention) and a signed post's <c>webhook-id</c> each name
/// a request of one credential; its first answer is committed with its events (see
/// <see cref="EventWriter.WriteKeyedAsync"/>) and sent again, byte for byte, to a request with the same key and
/// body, which writes nothing. The same key with another body is a 422.
/// </summary>
public sealed class Idempotency(EventWriter writer, IOptions<IdempotencyOptions> options)
{
    public const string KeyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxKeyLength = 255;

    /// <summary>The request's <c>Idempotency-Key</c> (null without one), or the 400 problem when it is malformed.</summary>
    public static IActionResult? ReadKey(HttpRequest request, out string? key)
    {
        key = null;
        var values = request.Headers[KeyHeader];
        if (values.Count == 0)
        {
            return null;
        }

        var value = values.Count == 1 ? values[0] : null;
        if (value is not { Length: > 0 and <= MaxKeyLength } || !value.All(c => c is >= ' ' and <= '~'))
        {
            return Problems.Result(request.HttpContext, StatusCodes.Status400BadRequest, ProblemTypes.InvalidIdempotencyKey,
                "Invalid Idempotency-Key", $"Send one {KeyHeader} of 1 to {MaxKeyLength} printable ASCII characters.");
        }

        key = value;
        return null;
    }

    /// <summary>
    /// The keys a request carries, scoped to its credential: the <c>webhook-id</c> when its producer signs (checked with
    /// the body's signature, so a captured post cannot shed it), then its <c>Idempotency-Key</c>. Claimed in this order.
    /// </summary>
    public IReadOnlyList<RequestKey> KeysOf(Producer producer, string? idempotencyKey, IHeaderDictionary headers)
    {
        var scope = producer.Id is { } id
            ? "producer:" + id.ToString(CultureInfo.InvariantCulture)
            : "organisation:" + producer.Permissions.OrganisationId!.Value.ToString(CultureInfo.InvariantCulture);
        var keys = new List<RequestKey>(2);
        if (producer.SigningKey is not null && headers[WebhookSignature.IdHeader].ToString() is { Length: > 0 } webhookId)
        {
            keys.Add(new RequestKey(scope, IdempotencyKeys.WebhookIdKind, webhookId, options.Value.WebhookIdLifetime));
        }

        if (idempotencyKey is not null)
        {
            keys.Add(new RequestKey(scope, IdempotencyKeys.IdempotencyKeyKind, idempotencyKey, options.Value.KeyLifetime));
        }

        return keys;
    }

    /// <summary>
    /// A keyed request's write, for <see cref="IngestionService"/>: <paramref name="answer"/> builds the answer from
    /// the items' results before COMMIT; it is sent as it was captured.
    /// </summary>
    public KeyedIngest Begin(
        IReadOnlyList<RequestKey> keys, ReadOnlySpan<byte> body, ActionContext context, Func<ItemResult[], CancellationToken, Task<IActionResult>> answer) =>
        new(writer, keys, SHA256.HashData(body), options.Value.MaxAnswerBytes, async (results, ct) => await CaptureAsync(await answer(results, ct), context));

    /// <summary>What a client gets for a keyed request: the answer it stored or found, or why nothing was written.</summary>
    public static IActionResult Answer(KeyedWrite outcome, HttpContext context) => outcome switch
    {
        KeyedWrite.Committed committed => new StoredAnswerResult(committed.Answer, replayed: false),
        KeyedWrite.Replayed replayed => new StoredAnswerResult(replayed.Answer, replayed: true),
        KeyedWrite.Reused reused => Problems.Result(context, StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyReused,
            "Key Reused",
            $"This {(reused.Key.Kind == IdempotencyKeys.WebhookIdKind ? WebhookSignature.IdHeader : KeyHeader)} came with another body before; nothing was written. Send a new request with a new key."),
        KeyedWrite.AnswerTooLarge tooLarge => Problems.Result(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge,
            "Payload Too Large",
            $"The answer would be {tooLarge.Bytes} bytes, more than the {tooLarge.MaxBytes} kept for a replay; nothing was written. Post fewer events per request."),
        _ => throw new InvalidOperationException($"Unknown keyed write outcome {outcome}."),
    };

    /// <summary>
    /// Runs the result into a buffer instead of the response: its status, content type, Location and body, exactly as
    /// they would have been sent. The response is left as it was, to be answered from the capture.
    /// </summary>
    private static async Task<StoredAnswer> CaptureAsync(IActionResult result, ActionContext context)
    {
        var response = context.HttpContext.Response;
        var original = response.Body;
        using var buffer = new MemoryStream();
        response.Body = buffer;
        try
        {
            await result.ExecuteResultAsync(context);
            await response.BodyWriter.FlushAsync(context.HttpContext.RequestAborted);
        }
        finally
        {
            response.Body = original;
        }

        var location = response.Headers.Location.ToString();
        var answer = new StoredAnswer(response.StatusCode, response.ContentType ?? "application/json", location.Length == 0 ? null : location, buffer.ToArray());
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = null;
        response.ContentLength = null;
        response.Headers.Location = default;
        return answer;
    }
}

/// <summary>One keyed request's write: its keys, its body's hash, and how its answer is built before COMMIT.</summary>
public sealed class KeyedIngest
{
    private readonly EventWriter writer;
    private readonly IReadOnlyList<RequestKey> keys;
    private readonly byte[] requestHash;
    private readonly int maxAnswerBytes;
    private readonly Func<ItemResult[], CancellationToken, Task<StoredAnswer>> answer;

    internal KeyedIngest(
        EventWriter writer, IReadOnlyList<RequestKey> keys, byte[] requestHash, int maxAnswerBytes, Func<ItemResult[], CancellationToken, Task<StoredAnswer>> answer)
    {
        this.writer = writer;
        this.keys = keys;
        this.requestHash = requestHash;
        this.maxAnswerBytes = maxAnswerBytes;
        this.answer = answer;
    }

    /// <summary>What became of the request; set once <see cref="WriteAsync"/> returned.</summary>
    public KeyedWrite? Outcome { get; private set; }

    /// <summary>
    /// Writes the part on its own (not in a group commit: its keys must commit in its own transaction), with
    /// <paramref name="complete"/> turning the outcomes into the items' results for the answer. Null when nothing was
    /// written (see <see cref="Outcome"/>).
    /// </summary>
    public async Task<WriteOutcome[]?> WriteAsync(WritePart part, Func<WriteOutcome[], ItemResult[]> complete, CancellationToken ct)
    {
        WriteOutcome[]? written = null;
        Outcome = await writer.WriteKeyedAsync(part, keys, requestHash, maxAnswerBytes, (outcomes, token) =>
        {
            written = outcomes;
            return answer(complete(outcomes), token);
        }, ct);
        return Outcome is KeyedWrite.Committed ? written : null;
    }
}

/// <summary>Sends a stored answer; a replay says so in <c>Idempotent-Replayed: true</c>.</summary>
public sealed class StoredAnswerResult(StoredAnswer answer, bool replayed) : IActionResult
{
    public async Task ExecuteResultAsync(ActionContext context)
    {
        var response = context.HttpContext.Response;
        response.StatusCode = answer.Status;
        response.ContentType = answer.ContentType;
        response.ContentLength = answer.Body.Length;
        if (answer.Location is not null)
        {
            response.Headers.Location = answer.Location;
        }

        if (replayed)
        {
            response.Headers[Idempotency.ReplayedHeader] = "true";
        }

        await response.Body.WriteAsync(answer.Body, context.HttpContext.RequestAborted);
    }
}
