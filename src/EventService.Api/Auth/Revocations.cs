using EventService.Api.Storage;
using Microsoft.EntityFrameworkCore;

namespace EventService.Api.Auth;

public static class Revocations
{
    /// <summary>
    /// Saves a revocation and tells every instance (including this one's listener) through PostgreSQL's NOTIFY in the
    /// same transaction, so that no revocation is committed without its notification; then forgets it here at once.
    /// </summary>
    public static async Task SaveAsync(EventsDbContext db, CredentialLookupCache cache, string payload, CancellationToken ct)
    {
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            await db.Database.ExecuteSqlAsync($"SELECT pg_notify({CredentialLookupCache.Channel}, {payload})", ct);
            await transaction.CommitAsync(ct);
        }

        cache.Revoked(payload);
    }
}
