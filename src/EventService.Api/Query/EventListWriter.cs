using System.Buffers;
using System.Text.Json;
using EventService.Api.Storage.Events;
using EventService.Domain.Catalog;
using EventService.Domain.Queries;

namespace EventService.Api.Query;

/// <summary>
/// Writes a list to the response as its rows are read: the paging headers once the count is known, then the
/// bare array, flushed to the client every <see cref="FlushBytes"/>, so a request holds at most that plus one
/// event (bounded by <c>Ingestion:MaxEventBytes</c>) however large its page.
/// </summary>
public sealed class EventListWriter(HttpContext context, EventQuery query, EventCatalog catalog, ListStreamingStats stats)
    : IEventPageWriter, IAsyncDisposable
{
    public const int FlushBytes = 16 * 1024;

    // The writer writes into this buffer, never into the body itself: disposing it after a failure sends nothing, so
    // a list that fails before its first flush still answers a problem instead of a cut 200.
    private readonly ArrayBufferWriter<byte> buffer = new(FlushBytes * 2);
    private Utf8JsonWriter? json;

    public ValueTask StartAsync(EventPage page, CancellationToken ct)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        PagingHeaders.Write(context.Request, response, query, page);
        json = new Utf8JsonWriter(buffer);
        json.WriteStartArray();
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteAsync(EventView row, CancellationToken ct)
    {
        EventJson.Write(json!, row, catalog);
        if (json!.BytesPending >= FlushBytes)
        {
            await FlushAsync(ct);
        }
    }

    /// <summary>Closes the array and sends what is left.</summary>
    public async Task CompleteAsync(CancellationToken ct)
    {
        json!.WriteEndArray();
        await FlushAsync(ct);
    }

    public ValueTask DisposeAsync() => json?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task FlushAsync(CancellationToken ct)
    {
        json!.Flush();
        stats.Buffered(buffer.WrittenCount);
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, ct);
        buffer.ResetWrittenCount();
    }
}

/// <summary>The most bytes one list response held before sending them: what streaming bounds (read by tests and operators).</summary>
public sealed class ListStreamingStats
{
    private long largest;

    public long LargestBufferedBytes => Interlocked.Read(ref largest);

    internal void Buffered(long bytes)
    {
        long seen;
        while (bytes > (seen = Interlocked.Read(ref largest)) && Interlocked.CompareExchange(ref largest, bytes, seen) != seen)
        {
        }
    }
}
