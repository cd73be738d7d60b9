using System.Text.Json;
using System.Text.Unicode;
using EventService.Api.Auth;
using EventService.Api.Infrastructure;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using MinDataRate = Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace EventService.Api.Ingestion;

/// <summary>
/// The transport half of a post: content type, size, the webhook signature over the exact bytes received, UTF-8,
/// JSON without duplicate names, and the shape (one event object, or an array of 1 to MaxBatchSize). Holds either the
/// posted events or the problem to answer with; dispose it once the events are used, they point into a pooled buffer.
/// </summary>
public sealed class IngestBody : IDisposable
{
    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };

    private readonly RequestBody? body;
    private readonly JsonDocument? document;

    private IngestBody(IActionResult problem)
    {
        Problem = problem;
        Events = [];
    }

    private IngestBody(RequestBody body, JsonDocument document, IReadOnlyList<JsonElement> events, bool isBatch)
    {
        this.body = body;
        this.document = document;
        Events = events;
        IsBatch = isBatch;
    }

    /// <summary>The answer when the body is not one to ingest; null when it holds events.</summary>
    public IActionResult? Problem { get; }

    public IReadOnlyList<JsonElement> Events { get; }

    /// <summary>The body's bytes as received (and signed); empty when it holds no events.</summary>
    public ReadOnlyMemory<byte> Bytes => body?.Memory ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>An array was posted, answered item by item; otherwise one event object.</summary>
    public bool IsBatch { get; }

    /// <param name="signingKey">The producer's webhook secret, when it signs its posts.</param>
    public static async Task<IngestBody> ReadAsync(
        HttpRequest request, byte[]? signingKey, IngestionOptions limits, TimeProvider time, CancellationToken ct)
    {
        var context = request.HttpContext;
        if (!IsJson(request.ContentType))
        {
            return Fail(context, StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "Unsupported Media Type",
                "Post events as 'Content-Type: application/json'.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limits.MaxBodyBytes;
        }

        var (body, tooSlow) = await ReadBodyAsync(request, limits, time, ct);
        if (tooSlow)
        {
            // The client may still be sending: close the connection rather than read on (HTTP/2 resets the stream itself).
            if (!HttpProtocol.IsHttp2(request.Protocol) && !HttpProtocol.IsHttp3(request.Protocol))
            {
                context.Response.Headers.Connection = "close";
            }
            return Fail(context, StatusCodes.Status408RequestTimeout, ProblemTypes.RequestTimeout, "Request Timeout",
                FormattableString.Invariant($"The body did not arrive in full within {limits.BodyReadTimeout.TotalSeconds:0.###} seconds; nothing was written."));
        }

        if (body is null)
        {
            return Fail(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "Payload Too Large",
                $"The body exceeds {limits.MaxBodyBytes} bytes; post fewer events per request.");
        }

        try
        {
            var read = Parse(context, body, signingKey, limits, time);
            if (read.Problem is not null)
            {
                body.Dispose();
            }

            return read;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The body, under a minimum data rate (HTTP/1.x) and a deadline by the injected clock; no body when it is too
    /// large or came too slowly.
    /// </summary>
    private static async Task<(RequestBody? Body, bool TooSlow)> ReadBodyAsync(HttpRequest request, IngestionOptions limits, TimeProvider time, CancellationToken ct)
    {
        var context = request.HttpContext;
        if (limits.MinBodyDataRate > 0 && (HttpProtocol.IsHttp11(request.Protocol) || HttpProtocol.IsHttp10(request.Protocol))
            && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
        {
            rate.MinDataRate = new MinDataRate(limits.MinBodyDataRate, limits.MinBodyDataRateGracePeriod);
        }

        using var deadline = new CancellationTokenSource(limits.BodyReadTimeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, deadline.Token);
        try
        {
            return (await RequestBody.ReadAsync(request, limits.MaxBodyBytes, either.Token), false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (null, true);
        }
        catch (BadHttpRequestException slow) when (slow.StatusCode == StatusCodes.Status408RequestTimeout)
        {
            // Kestrel's minimum data rate.
            return (null, true);
        }
    }

    private static IngestBody Parse(HttpContext context, RequestBody body, byte[]? signingKey, IngestionOptions limits, TimeProvider time)
    {
        // Over the exact bytes received, before anything is parsed or written.
        if (signingKey is not null
            && WebhookSignature.Verify(context.Request.Headers, body.Memory.Span, signingKey, time.GetUtcNow()) is { } failure)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Fail(context, StatusCodes.Status401Unauthorized, ProblemTypes.InvalidSignature, "Invalid Signature", failure);
        }

        var json = body.Memory;
        if (json.Span.StartsWith(Utf8Bom))
        {
            json = json[Utf8Bom.Length..];
        }

        // JsonDocument checks the UTF-8 of the structure but not inside strings, where a bad byte would later
        // throw or turn into U+FFFD: the whole body must be valid UTF-8.
        if (!Utf8.IsValid(json.Span))
        {
            return Fail(context, StatusCodes.Status400BadRequest, ProblemTypes.MalformedJson, "Malformed JSON", "The body is not valid UTF-8.");
        }

        JsonDocument document;
        try
        {
            // Parses in place: the document reads the pooled buffer for as long as it lives.
            document = JsonDocument.Parse(json, ParseOptions);
        }
        catch (JsonException ex)
        {
            return Fail(context, StatusCodes.Status400BadRequest, ProblemTypes.MalformedJson, "Malformed JSON",
                $"The body is not valid JSON: {ex.Message}");
        }

        var root = document.RootElement;
        switch (root.ValueKind)
        {
            case JsonValueKind.Object:
                return new IngestBody(body, document, [root], isBatch: false);
            case JsonValueKind.Array:
                var count = root.GetArrayLength();
                if (count == 0)
                {
                    document.Dispose();
                    return Fail(context, StatusCodes.Status400BadRequest, ProblemTypes.InvalidBody, "Empty Batch", "The array holds no events.");
                }

                if (count > limits.MaxBatchSize)
                {
                    document.Dispose();
                    return Fail(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge, "Payload Too Large",
                        $"The array holds {count} events; at most {limits.MaxBatchSize} are taken per request.");
                }

                var items = new List<JsonElement>(count);
                foreach (var item in root.EnumerateArray())
                {
                    items.Add(item);
                }

                return new IngestBody(body, document, items, isBatch: true);
            default:
                document.Dispose();
                return Fail(context, StatusCodes.Status400BadRequest, ProblemTypes.InvalidBody, "Invalid Body",
                    "The body must be one event object or an array of event objects.");
        }
    }

    public void Dispose()
    {
        document?.Dispose();
        body?.Dispose();
    }

    private static IngestBody Fail(HttpContext context, int status, string type, string title, string detail) =>
        new(Problems.Result(context, status, type, title, detail));

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (media.Charset.Length == 0 || media.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
}
