using System.Data;
using EventService.Api.Query;
using EventService.Domain.Queries;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>One page of a list: the numbers its headers need (64-bit: a page count can pass 2^31 at per_page=1).</summary>
public sealed record EventPage(long Total, long Page, int PerPage, long Pages);

/// <summary>Where a list's page goes as its rows are read: the numbers first, then each row (see <see cref="EventSearch.SearchAsync"/>).</summary>
public interface IEventPageWriter
{
    /// <summary>Called once, before the first row, when the count and the page are known.</summary>
    ValueTask StartAsync(EventPage page, CancellationToken ct);

    ValueTask WriteAsync(EventView row, CancellationToken ct);
}

/// <summary>A sort without an index over more matching rows than <c>Query:MaxSortRows</c>: nothing was written.</summary>
public sealed class SortTooLargeException(long matching, long limit)
    : Exception($"The list matches {matching:N0} events, more than a sort by another field than id or timestamp may order.")
{
    public long Matching { get; } = matching;

    public long Limit { get; } = limit;
}

/// <summary>
/// Reads lists and single events of <c>events</c>: the filter's SQL from <see cref="EventFilterSql"/>, the exact
/// X-Total-Count from <see cref="EventCounts"/> where the hourly counts can answer it, else from an index.
/// </summary>
/// <remarks>
/// What one list may cost: the first page in an indexed order is the count and the page in one round trip. Any other
/// page is counted first, in one repeatable-read snapshot with its rows, so that a page past the last is answered as
/// the last from the count alone (no walk to the end and back), a deep page in the list's second half is walked from
/// the end, and a sort without an index over more than <see cref="QueryOptions.MaxSortRows"/> rows is refused before
/// PostgreSQL sorts anything. Rows go to the <see cref="IEventPageWriter"/> as they are read: no page is held.
/// </remarks>
public sealed class EventSearch(NpgsqlDataSource dataSource, RetentionWindow retention, IOptions<QueryOptions> options)
{
    /// <summary>From this many skipped rows on, a page is read as a deferred join (see <see cref="PageCommand"/>).</summary>
    private const int DeferredJoinOffset = 1000;

    public async Task SearchAsync(EventScope scope, EventQuery query, IEventPageWriter writer, CancellationToken ct)
    {
        var (where, parameters) = EventFilterSql.Where(scope, query.Filter);
        var indexedOrder = EventFilterSql.IsIndexedOrder(query.Sort);
        var count = EventCounts.CountFromHours(scope, query.Filter, CountedFrom) ?? Command($"SELECT count(*) FROM events e WHERE {where}", parameters);

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        if (query.Page == 1 && indexedOrder)
        {
            await FirstPageAsync(connection, scope, query, count, where, parameters, writer, ct);
            return;
        }

        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        long total;
        await using (var counting = ToCommand(count, connection, transaction))
        {
            total = (long)(await counting.ExecuteScalarAsync(ct))!;
        }

        if (!indexedOrder && total > options.Value.MaxSortRows)
        {
            throw new SortTooLargeException(total, options.Value.MaxSortRows);
        }

        var page = Paged(query, total);
        var offset = (page.Page - 1) * query.PerPage;
        await using (var command = ToCommand(PageCommand(where, parameters, query, offset, indexedOrder ? total : null), connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await writer.StartAsync(page, ct);
            await WriteRowsAsync(reader, writer, ct);
        }

        await transaction.CommitAsync(ct);
    }

    public async Task<EventView?> FindAsync(long organisationId, long id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT {EventTable.SelectList} FROM events e WHERE e.id = @id AND e.organisation_id = @org ORDER BY e."timestamp" DESC LIMIT 1""");
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<long>("org", organisationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? EventTable.Read(reader) : null;
    }

    /// <summary>The organisation's event with this id and timestamp (what a duplicate duplicates).</summary>
    public async Task<EventView?> FindAsync(long organisationId, long id, DateTimeOffset timestamp, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT {EventTable.SelectList} FROM events e WHERE e.id = @id AND e."timestamp" = @ts AND e.organisation_id = @org""");
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("ts", timestamp));
        command.Parameters.Add(new NpgsqlParameter<long>("org", organisationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? EventTable.Read(reader) : null;
    }

    /// <summary>The first hour whose count the hourly counts answer (see <see cref="EventCounts.CountedFrom"/>).</summary>
    public DateTimeOffset CountedFrom => EventCounts.CountedFrom(retention.Cutoff);

    /// <summary>The requested page, or the last one when it lies past the end; at least one page, even of nothing.</summary>
    internal static EventPage Paged(EventQuery query, long total)
    {
        var pages = Math.Max(1, (total + query.PerPage - 1) / query.PerPage);
        return new EventPage(total, Math.Min(query.Page, pages), query.PerPage, pages);
    }

    /// <summary>
    /// The count and the first page in one round trip (page 1 is never past the last). A device's, SIM's or user's
    /// whole list is counted by a prepared statement of its own first: PostgreSQL then settles on one plan for it per
    /// connection instead of planning every partition again for every request. Only those three counts: one prepared
    /// statement per filter shape would pile up plans on every connection, and a page's generic plan (blind to its
    /// LIMIT) would sort whole result sets.
    /// </summary>
    private async Task FirstPageAsync(NpgsqlConnection connection, EventScope scope, EventQuery query, NpgsqlBatchCommand count,
        string where, IReadOnlyList<NpgsqlParameter> parameters, IEventPageWriter writer, CancellationToken ct)
    {
        long? total = null;
        if (!scope.IsWholeOrganisation && query.Filter.IsTimeWindowOnly && query.Filter.From is null && query.Filter.Until is null)
        {
            await using var prepared = ToCommand(count, connection, null);
            await prepared.PrepareAsync(ct);
            total = (long)(await prepared.ExecuteScalarAsync(ct))!;
        }

        await using var batch = new NpgsqlBatch(connection);
        if (total is null)
        {
            batch.BatchCommands.Add(count);
        }

        batch.BatchCommands.Add(PageCommand(where, parameters, query, 0, null));
        await using var reader = await batch.ExecuteReaderAsync(ct);
        if (total is null)
        {
            await reader.ReadAsync(ct);
            total = reader.GetInt64(0);
            await reader.NextResultAsync(ct);
        }

        await writer.StartAsync(Paged(query, total.Value), ct);
        await WriteRowsAsync(reader, writer, ct);
    }

    private static async Task WriteRowsAsync(NpgsqlDataReader reader, IEventPageWriter writer, CancellationToken ct)
    {
        while (await reader.ReadAsync(ct))
        {
            await writer.WriteAsync(EventTable.Read(reader), ct);
        }
    }

    /// <summary>
    /// A page. Deep in a list, or for ICCIDs (whose index yields matches out of order, to be sorted), it is a deferred
    /// join: the inner query finds the page's keys from index entries alone where the filter allows, and just the
    /// page's own rows are read from the heap, where a plain OFFSET or sort reads every skipped or sorted row. Near
    /// the front of an ordered walk the plain form is cheaper: the join plans every partition twice. With the
    /// <paramref name="total"/> of an indexed order known, a page in the second half is found walking from the end:
    /// in the reversed order it starts <c>total - offset - per_page</c> rows in.
    /// </summary>
    private static NpgsqlBatchCommand PageCommand(string where, IReadOnlyList<NpgsqlParameter> parameters, EventQuery query, long offset, long? total)
    {
        var orderBy = EventFilterSql.OrderBy(query.Sort);
        var reversed = total is { } n && offset > n / 2;
        var (limit, skip) = reversed ? ((int)Math.Min(query.PerPage, total!.Value - offset), Math.Max(0, total.Value - offset - query.PerPage)) : (query.PerPage, offset);
        var walk = reversed ? EventFilterSql.OrderBy(query.Sort, reversed: true) : orderBy;
        var command = Command(
            skip < DeferredJoinOffset && !reversed && query.Filter.Iccids.Count == 0
                ? $"SELECT {EventTable.SelectList} FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset"
                : $"""
                  SELECT {EventTable.SelectList} FROM events e JOIN (
                      SELECT e.organisation_id, e.id, e."timestamp" FROM events e WHERE {where} ORDER BY {walk} LIMIT @limit OFFSET @offset
                  ) page ON e.organisation_id = page.organisation_id AND e.id = page.id AND e."timestamp" = page."timestamp"
                  ORDER BY {orderBy}
                  """,
            parameters);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        command.Parameters.Add(new NpgsqlParameter<long>("offset", skip));
        return command;
    }

    private static NpgsqlBatchCommand Command(string sql, IReadOnlyList<NpgsqlParameter> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var p in parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return command;
    }

    /// <summary>A batch command on its own, to prepare it or to run it in a transaction.</summary>
    private static NpgsqlCommand ToCommand(NpgsqlBatchCommand source, NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        var command = new NpgsqlCommand(source.CommandText, connection, transaction);
        foreach (NpgsqlParameter p in source.Parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return command;
    }
}
