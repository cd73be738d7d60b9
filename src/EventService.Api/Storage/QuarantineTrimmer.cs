using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage;

/// <summary>Keeps the quarantine bounded: removes the oldest rows beyond <see cref="StorageOptions.QuarantineMaxRows"/>.</summary>
public sealed class QuarantineTrimmer(NpgsqlDataSource dataSource, IOptions<StorageOptions> options)
{
    /// <summary>Removes the oldest rows beyond <c>@keep</c>; also run by every write that adds to the quarantine.</summary>
    public const string Sql =
        """
        DELETE FROM quarantine
        WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC OFFSET @keep LIMIT 1)
        """;

    public async Task<int> TrimAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue("keep", options.Value.QuarantineMaxRows);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
