using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage;

/// <summary>
/// Keeps the quarantine bounded, per poster and in all: a poster (a producer credential, or an organisation posting
/// with its own auth token) keeps at most its newest <see cref="StorageOptions.QuarantineMaxRowsPerPoster"/> items
/// and <see cref="StorageOptions.QuarantineMaxBytesPerPoster"/> bytes, and the table at most
/// <see cref="StorageOptions.QuarantineMaxRows"/> rows. Every write that quarantines trims its own posters (so a flood
/// from one poster evicts only its own oldest items) and the global bound; each retention round trims every poster.
/// </summary>
/// <remarks>
/// A poster's trim walks its index (<c>(producer_id, id) INCLUDE (size_bytes)</c>, or the organisation's) newest
/// first and stops at the first item beyond either bound, so it reads at most its row bound of index entries and
/// never the heap.
/// </remarks>
public sealed class QuarantineTrimmer(NpgsqlDataSource dataSource, IOptions<StorageOptions> options)
{
    /// <summary>Removes the oldest rows beyond <c>@keep</c> across every poster.</summary>
    public const string GlobalSql =
        """
        DELETE FROM quarantine
        WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC OFFSET @keep LIMIT 1)
        """;

    // The column that names a poster: producer_id for a producer, organisation_id for an organisation's own token
    // (whose items have no producer). Constants, never input.
    private const string ProducerColumn = "producer_id";
    private const string OrganisationColumn = "organisation_id";

    /// <summary>The posters given in <c>@posters</c> keep their newest <c>@keep_rows</c> items and <c>@keep_bytes</c> bytes.</summary>
    private static string PostersSql(string column) => TrimSql(column, "SELECT DISTINCT unnest(@posters)");

    /// <summary>Every poster of the column keeps its bounds (the retention round's sweep).</summary>
    private static string EveryPosterSql(string column) => TrimSql(column, $"SELECT {column} FROM quarantine WHERE {column} IS NOT NULL GROUP BY {column}");

    private static string TrimSql(string column, string posters) =>
        $"""
        DELETE FROM quarantine q
        USING (
            SELECT p.poster, c.id
            FROM ({posters}) AS p(poster)
            CROSS JOIN LATERAL (
                SELECT r.id FROM (
                    SELECT id, count(*) OVER w AS n, sum(size_bytes) OVER w AS bytes
                    FROM quarantine WHERE {column} = p.poster
                    WINDOW w AS (ORDER BY id DESC ROWS UNBOUNDED PRECEDING)
                ) r
                WHERE r.n > @keep_rows OR r.bytes > @keep_bytes
                ORDER BY r.id DESC
                LIMIT 1
            ) c
        ) cut
        WHERE q.{column} = cut.poster AND q.id <= cut.id
        """;

    /// <summary>
    /// The statements a write that adds to the quarantine runs after its insert, in the same transaction: the bounds of
    /// the posters it wrote for, then the global bound.
    /// </summary>
    public static IEnumerable<NpgsqlBatchCommand> WriteCommands(IEnumerable<(long? ProducerId, long? OrganisationId)> posters, StorageOptions o)
    {
        var list = posters.ToList();
        var producers = list.Where(p => p.ProducerId is not null).Select(p => p.ProducerId!.Value).Distinct().ToArray();
        var organisations = list.Where(p => p.ProducerId is null && p.OrganisationId is not null).Select(p => p.OrganisationId!.Value).Distinct().ToArray();
        yield return PosterCommand(PostersSql(ProducerColumn), producers, o);
        yield return PosterCommand(PostersSql(OrganisationColumn), organisations, o);
        var global = new NpgsqlBatchCommand(GlobalSql);
        global.Parameters.Add(new NpgsqlParameter<int>("keep", o.QuarantineMaxRows));
        yield return global;
    }

    /// <summary>Trims every poster to its bounds, then the table to the global bound; returns the rows removed.</summary>
    public async Task<int> TrimAsync(CancellationToken ct)
    {
        var o = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection);
        batch.BatchCommands.Add(PosterCommand(EveryPosterSql(ProducerColumn), null, o));
        batch.BatchCommands.Add(PosterCommand(EveryPosterSql(OrganisationColumn), null, o));
        var global = new NpgsqlBatchCommand(GlobalSql);
        global.Parameters.Add(new NpgsqlParameter<int>("keep", o.QuarantineMaxRows));
        batch.BatchCommands.Add(global);
        await batch.ExecuteNonQueryAsync(ct);
        return batch.BatchCommands.Cast<NpgsqlBatchCommand>().Sum(c => c.RecordsAffected);
    }

    private static NpgsqlBatchCommand PosterCommand(string sql, long[]? posters, StorageOptions o)
    {
        var command = new NpgsqlBatchCommand(sql);
        if (posters is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<long[]>("posters", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = posters });
        }

        command.Parameters.Add(new NpgsqlParameter<int>("keep_rows", NpgsqlDbType.Integer) { TypedValue = o.QuarantineMaxRowsPerPoster });
        command.Parameters.Add(new NpgsqlParameter<long>("keep_bytes", NpgsqlDbType.Bigint) { TypedValue = o.QuarantineMaxBytesPerPoster });
        return command;
    }
}
