using System.Text.Json;
using EventService.Domain.Catalog;

namespace EventService.Domain.Events;

/// <summary>
/// Reads one posted emnify event (tolerant of what real producers send) and checks it against the catalog,
/// the acceptance window, the credential's permissions and the shape limits. No I/O.
/// </summary>
/// <remarks>
/// Thread-safe: each call keeps its state in its own <see cref="EventValidation"/>. Duplicate property names are the
/// parser's to refuse, not this validator's: callers parse with <c>JsonDocumentOptions.AllowDuplicateProperties = false</c>.
/// </remarks>
public sealed class EventValidator(EventCatalog catalog)
{
    private readonly EventCatalog _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));

    public EventValidationResult Validate(JsonElement item, IngestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new EventValidation(_catalog, context).Run(item);
    }
}
