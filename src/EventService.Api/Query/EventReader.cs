using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Query;

public sealed class EventReader(EventsDbContext db)
{
    /// <summary>The stored event of this organisation with this id and timestamp (what a duplicate duplicates).</summary>
    public Task<StoredEvent?> FindAsync(long organisationId, long id, DateTimeOffset timestamp, CancellationToken ct) =>
        db.Events.AsNoTracking()
            .Where(e => e.Id == id && e.Timestamp == timestamp && e.OrganisationId == organisationId)
            .FirstOrDefaultAsync(ct);
}
