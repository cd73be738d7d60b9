using System.Text.Json;
using EventService.Domain.Catalog;

namespace EventService.Domain.Events;

/// <summary>
/// Reads one posted emnify event (tolerant of what real producers send) and checks it against the catalog,
/// the acceptance window, the credential's permissions and the shape limits. No I/O.
/// </summary>
public sealed class EventValidator(EventCatalog catalog)
{
    public EventValidationResult Validate(JsonElement item, IngestContext context)
    {
        _ = catalog;
        throw new NotImplementedException();
    }
}
