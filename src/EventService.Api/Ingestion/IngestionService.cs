using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EventService.Api.Catalog;
using EventService.Api.Infrastructure;
using EventService.Api.Quarantine;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using EventService.Domain.Events;
using Microsoft.Extensions.Options;

namespace EventService.Api.Ingestion;

public enum ItemStatus
{
    Accepted,
    Duplicate,
    Rejected,
}

/// <summary>What became of one posted item. <paramref name="Event"/> is the validated item, for accepted and duplicate items.</summary>
public sealed record ItemResult(int Index, long? Id, ItemStatus Status, IReadOnlyDictionary<string, string[]>? Errors, ValidatedEvent? Event);

/// <summary>
/// Validates posted items in the domain, then commits the good ones and quarantines the rest in one transaction,
/// shared with other requests' by the group commit.
/// </summary>
public sealed partial class IngestionService(
    CatalogProvider catalog,
    GroupCommitWriter writer,
    TimeProvider time,
    IOptions<IngestionOptions> ingestionOptions,
    RetentionWindow retention,
    ILogger<IngestionService> logger)
{
    public async Task<ItemResult[]> IngestAsync(IReadOnlyList<JsonElement> items, ProducerPermissions permissions, long? producerId, CancellationToken ct) =>
        (await IngestAsync(items, permissions, producerId, keyed: null, ct))!;

    /// <param name="keyed">A request with an Idempotency-Key or a webhook-id: written on its own with its keys, its
    /// answer built before COMMIT. Null is returned when nothing was written (a replay: see its outcome).</param>
    public async Task<ItemResult[]?> IngestAsync(
        IReadOnlyList<JsonElement> items, ProducerPermissions permissions, long? producerId, KeyedIngest? keyed, CancellationToken ct)
    {
        var options = ingestionOptions.Value;
        // By the injected clock, so that a test can move it; the client going away fires it too.
        using var timeout = new CancellationTokenSource(options.RequestTimeout, time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
        var now = time.GetUtcNow();
        var context = new IngestContext(
            now,
            new AcceptanceWindow(retention.Period, options.MaxFutureSkew),
            permissions,
            new EventLimits { MaxDepth = options.MaxDepth, MaxStringLength = options.MaxStringLength, MaxCustomProperties = options.MaxCustomProperties, MaxEventBytes = options.MaxEventBytes });
        var validator = new EventValidator(catalog.Current);

        var results = new ItemResult[items.Count];
        var toWrite = new List<ValidatedEvent>(items.Count);
        var toWriteIndex = new List<int>(items.Count);
        var rejected = new List<QuarantineEntry>();
        var seen = new HashSet<(long, DateTimeOffset, long)>();
        long bytes = 0;

        for (var i = 0; i < items.Count; i++)
        {
            bytes += JsonMarshal.GetRawUtf8Value(items[i]).Length;
            var outcome = validator.Validate(items[i], context);
            if (outcome.Event is not { } valid)
            {
                var errors = TextSanitizer.Clean(outcome.Errors);
                results[i] = new ItemResult(i, outcome.Id, ItemStatus.Rejected, errors, null);
                rejected.Add(ToQuarantine(i, outcome.Id, errors, items[i], options.MaxQuarantinePayloadChars, producerId is null ? permissions.OrganisationId : null));
            }
            else if (valid.Id is { } id && !seen.Add((id, valid.Timestamp, valid.OrganisationId)))
            {
                // The same event twice in one batch: the first is written, the rest are duplicates of it.
                results[i] = new ItemResult(i, id, ItemStatus.Duplicate, null, valid);
            }
            else
            {
                toWrite.Add(valid);
                toWriteIndex.Add(i);
            }
        }

        ItemResult[] Complete(WriteOutcome[] written)
        {
            for (var k = 0; k < written.Length; k++)
            {
                var (id, inserted) = written[k];
                var index = toWriteIndex[k];
                results[index] = inserted
                    ? new ItemResult(index, id, ItemStatus.Accepted, null, toWrite[k])
                    : new ItemResult(index, id, ItemStatus.Duplicate, null, toWrite[k]);
            }

            return results;
        }

        var written = keyed is null
            ? await writer.WriteAsync(toWrite, rejected, producerId, now, bytes, deadline.Token, ct)
            : await writer.WriteAloneAsync(
                toWrite.Count + rejected.Count, bytes, token => keyed.WriteAsync(new WritePart(toWrite, rejected, producerId, now), Complete, token), deadline.Token, ct);
        if (written is null)
        {
            return null;
        }

        Complete(written);
        LogIngested(items.Count, written.Count(w => w.Inserted), rejected.Count, producerId);
        return results;
    }

    private static QuarantineEntry ToQuarantine(
        int index, long? id, IReadOnlyDictionary<string, string[]> errors, JsonElement item, int maxChars, long? postingOrganisation)
    {
        // Decodes only the bytes the kept text can come from (at most 3 per UTF-16 unit, 4 per pair), not a
        // 10 MB item whole.
        var raw = JsonMarshal.GetRawUtf8Value(item);
        var payload = Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, (maxChars * 3) + 3)]);
        var truncated = payload.Length > maxChars || raw.Length > (maxChars * 3) + 3;
        if (truncated)
        {
            var cut = char.IsHighSurrogate(payload[maxChars - 1]) ? maxChars - 1 : maxChars;
            payload = payload[..cut];
        }

        return new QuarantineEntry(index, id, JsonSerializer.Serialize(QuarantineErrors.Bound(errors)), payload, truncated, postingOrganisation);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ingested {Items} items: {Inserted} new, {Rejected} rejected (producer {ProducerId})")]
    private partial void LogIngested(int items, int inserted, int rejected, long? producerId);
}
