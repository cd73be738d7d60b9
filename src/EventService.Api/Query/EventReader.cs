using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Query;

public sealed class EventReader(EventsDbContext db)
{
    public Task<StoredEvent?> FindAsync(long id, DateTimeOffset timestamp, CancellationToken ct) =>
        db.Events.AsNoTracking().Where(e => e.Id == id && e.Timestamp == timestamp).FirstOrDefaultAsync(ct);
}
