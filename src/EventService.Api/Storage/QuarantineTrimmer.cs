using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage;

/// <summary>Keeps the quarantine bounded: removes the oldest rows beyond <see cref="StorageOptions.QuarantineMaxRows"/>.</summary>
public sealed class QuarantineTrimmer(NpgsqlDataSource dataSource, IOptions<StorageOptions> options)
{
    public async Task<int> TrimAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            """
            DELETE FROM quarantine
            WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC OFFSET @keep LIMIT 1)
            """);
        command.Parameters.AddWithValue("keep", options.Value.QuarantineMaxRows);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
