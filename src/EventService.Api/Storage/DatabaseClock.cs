using Npgsql;

namespace EventService.Api.Storage;

/// <summary>
/// PostgreSQL's clock, the one every instance shares: the purge takes its cutoff from it and compares this instance's
/// clock with it. A seam for the tests, whose clock is a fake one days away from the database's.
/// </summary>
public class DatabaseClock(NpgsqlDataSource dataSource)
{
    public virtual async Task<DateTimeOffset> NowAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT clock_timestamp()");
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return reader.GetFieldValue<DateTimeOffset>(0);
    }
}
