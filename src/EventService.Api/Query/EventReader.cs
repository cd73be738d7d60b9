using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Query;

public sealed class EventReader(EventsDbContext db)
{
    /// <summary>The event with this id; when producers reused an id on another day, the newest.</summary>
    public Task<StoredEvent?> FindAsync(long id, CancellationToken ct) =>
        db.Events.AsNoTracking().Where(e => e.Id == id).OrderByDescending(e => e.Timestamp).FirstOrDefaultAsync(ct);

    public Task<StoredEvent?> FindAsync(long id, DateTimeOffset timestamp, CancellationToken ct) =>
        db.Events.AsNoTracking().Where(e => e.Id == id && e.Timestamp == timestamp).FirstOrDefaultAsync(ct);
}
