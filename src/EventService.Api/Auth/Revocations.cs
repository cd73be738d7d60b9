using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Auth;

public static class Revocations
{
    /// <summary>
    /// After a revocation is committed: forget it here at once, and tell every instance (including this one's
    /// listener) through PostgreSQL's NOTIFY.
    /// </summary>
    public static async Task PublishAsync(EventsDbContext db, CredentialLookupCache cache, string payload, CancellationToken ct)
    {
        cache.Revoked(payload);
        await db.Database.ExecuteSqlAsync($"SELECT pg_notify({CredentialLookupCache.Channel}, {payload})", ct);
    }
}
