using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Api.Storage;

/// <summary>One key a request carries, scoped to its credential, and how long it is remembered.</summary>
public sealed record RequestKey(string Scope, string Kind, string Key, TimeSpan Lifetime)
{
    public byte[] Hash { get; } = SHA256.HashData(Encoding.UTF8.GetBytes(Key));
}

/// <summary>An answer as it was sent: replayed byte for byte.</summary>
public sealed record StoredAnswer(int Status, string ContentType, string? Location, byte[] Body);

/// <summary>What became of a request written with its keys (<see cref="Events.EventWriter.WriteKeyedAsync"/>).</summary>
public abstract record KeyedWrite
{
    private KeyedWrite()
    {
    }

    /// <summary>Its events were committed together with its keys, which hold this answer now.</summary>
    public sealed record Committed(StoredAnswer Answer) : KeyedWrite;

    /// <summary>Nothing written: the key was answered before, for the same body, with this.</summary>
    public sealed record Replayed(RequestKey Key, StoredAnswer Answer) : KeyedWrite;

    /// <summary>Nothing written: the key was used before for another body.</summary>
    public sealed record Reused(RequestKey Key) : KeyedWrite;

    /// <summary>Nothing written: the answer would have been larger than a key keeps.</summary>
    public sealed record AnswerTooLarge(int Bytes, int MaxBytes) : KeyedWrite;
}

/// <summary>
/// The <c>idempotency_keys</c> table's one owner. A request's keys are claimed in the transaction that writes its
/// events, before them (<see cref="ClaimAsync"/>), and its answer is stored in them before COMMIT
/// (<see cref="StoreAsync"/>): the events and the keys that answer for them commit together or not at all.
/// </summary>
public static class IdempotencyKeys
{
    public const string Name = "idempotency_keys";

    public const string IdempotencyKeyKind = "idempotency-key";
    public const string WebhookIdKind = "webhook-id";

    // The unique key decides: a second request with the key waits here until the first commits (then finds the row)
    // or rolls back (then inserts it). An expired row is taken over as if it were not there. DO UPDATE locks the row
    // it conflicts with even when its WHERE is false, so the SELECT after it (a statement of its own, which sees
    // what committed while the insert waited) finds that row still there.
    private const string ClaimSql =
        """
        INSERT INTO idempotency_keys AS k (scope, kind, key_hash, key, request_hash, created_at, expires_at)
        VALUES (@scope, @kind, @key_hash, @key, @request_hash, @now, @expires_at)
        ON CONFLICT (scope, kind, key_hash) DO UPDATE
        SET key = EXCLUDED.key, request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
            expires_at = EXCLUDED.expires_at, status = NULL, content_type = NULL, location = NULL, body = NULL
        WHERE k.expires_at <= EXCLUDED.created_at
        RETURNING true
        """;

    private const string FindSql =
        """
        SELECT request_hash, status, content_type, location, body FROM idempotency_keys
        WHERE scope = @scope AND kind = @kind AND key_hash = @key_hash
        """;

    private const string StoreSql =
        """
        UPDATE idempotency_keys SET status = @status, content_type = @content_type, location = @location, body = @body
        WHERE scope = @scope AND kind = @kind AND key_hash = @key_hash
        """;

    // Rows a transaction holds (a claim in progress, a replay reading one) are skipped, not waited for.
    private const string DeleteExpiredSql =
        """
        DELETE FROM idempotency_keys k
        USING (SELECT scope, kind, key_hash FROM idempotency_keys WHERE expires_at <= @now LIMIT @batch FOR UPDATE SKIP LOCKED) old
        WHERE k.scope = old.scope AND k.kind = old.kind AND k.key_hash = old.key_hash
        """;

    /// <summary>
    /// Claims the keys in order, on the connection's open transaction; null when every one is this request's now.
    /// Stops at the first key that another request already answered (or used for another body); the caller then
    /// rolls back, which also frees the keys claimed so far.
    /// </summary>
    public static async Task<KeyedWrite?> ClaimAsync(
        NpgsqlConnection connection, IReadOnlyList<RequestKey> keys, byte[] requestHash, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var key in keys)
        {
            await using var batch = new NpgsqlBatch(connection);
            var claim = new NpgsqlBatchCommand(ClaimSql);
            AddKey(claim.Parameters, key);
            claim.Parameters.Add(new NpgsqlParameter<string>("key", NpgsqlDbType.Text) { TypedValue = key.Key });
            claim.Parameters.Add(new NpgsqlParameter<byte[]>("request_hash", NpgsqlDbType.Bytea) { TypedValue = requestHash });
            claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
            claim.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("expires_at", NpgsqlDbType.TimestampTz) { TypedValue = now + key.Lifetime });
            batch.BatchCommands.Add(claim);
            var find = new NpgsqlBatchCommand(FindSql);
            AddKey(find.Parameters, key);
            batch.BatchCommands.Add(find);

            await using var reader = await batch.ExecuteReaderAsync(ct);
            var claimed = await reader.ReadAsync(ct);
            await reader.NextResultAsync(ct);
            if (claimed)
            {
                continue;
            }

            if (!await reader.ReadAsync(ct) || await reader.IsDBNullAsync(1, ct))
            {
                // The row the insert conflicted with is locked by this transaction and committed with its answer.
                throw new InvalidOperationException($"The {key.Kind} row this request conflicted with has no answer.");
            }

            if (!CryptographicOperations.FixedTimeEquals(reader.GetFieldValue<byte[]>(0), requestHash))
            {
                return new KeyedWrite.Reused(key);
            }

            var answer = new StoredAnswer(
                reader.GetInt32(1),
                reader.GetString(2),
                await reader.IsDBNullAsync(3, ct) ? null : reader.GetString(3),
                reader.GetFieldValue<byte[]>(4));
            return new KeyedWrite.Replayed(key, answer);
        }

        return null;
    }

    /// <summary>Stores the answer in every claimed key, on the transaction that claimed them, before its COMMIT.</summary>
    public static async Task StoreAsync(NpgsqlConnection connection, IReadOnlyList<RequestKey> keys, StoredAnswer answer, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection);
        foreach (var key in keys)
        {
            var store = new NpgsqlBatchCommand(StoreSql);
            AddKey(store.Parameters, key);
            store.Parameters.Add(new NpgsqlParameter<int>("status", NpgsqlDbType.Integer) { TypedValue = answer.Status });
            store.Parameters.Add(new NpgsqlParameter<string>("content_type", NpgsqlDbType.Text) { TypedValue = answer.ContentType });
            store.Parameters.Add(new NpgsqlParameter("location", NpgsqlDbType.Text) { Value = (object?)answer.Location ?? DBNull.Value });
            store.Parameters.Add(new NpgsqlParameter<byte[]>("body", NpgsqlDbType.Bytea) { TypedValue = answer.Body });
            batch.BatchCommands.Add(store);
        }

        var stored = await batch.ExecuteNonQueryAsync(ct);
        if (stored != keys.Count)
        {
            throw new InvalidOperationException($"Stored the answer in {stored} of {keys.Count} claimed keys.");
        }
    }

    /// <summary>Deletes at most <paramref name="batchSize"/> expired rows in one statement; returns how many.</summary>
    public static async Task<int> DeleteExpiredAsync(NpgsqlDataSource dataSource, DateTimeOffset now, int batchSize, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(DeleteExpiredSql);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<int>("batch", NpgsqlDbType.Integer) { TypedValue = batchSize });
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddKey(NpgsqlParameterCollection parameters, RequestKey key)
    {
        parameters.Add(new NpgsqlParameter<string>("scope", NpgsqlDbType.Text) { TypedValue = key.Scope });
        parameters.Add(new NpgsqlParameter<string>("kind", NpgsqlDbType.Text) { TypedValue = key.Kind });
        parameters.Add(new NpgsqlParameter<byte[]>("key_hash", NpgsqlDbType.Bytea) { TypedValue = key.Hash });
    }
}
