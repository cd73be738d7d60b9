using EventService.Domain.Queries;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>One page of a list, with the numbers its headers need.</summary>
public sealed record EventPage(IReadOnlyList<EventView> Events, long Total, int Page, int PerPage, int Pages);

/// <summary>
/// Reads lists and single events of <c>events</c>: the filter's SQL from <see cref="EventFilterSql"/>, the exact
/// X-Total-Count from <see cref="EventCounts"/> where the hourly counts can answer it, else from the index.
/// </summary>
public sealed class EventSearch(NpgsqlDataSource dataSource, RetentionWindow retention)
{
    /// <summary>From this many skipped rows on, a page is read as a deferred join (see <see cref="PageCommand"/>).</summary>
    private const int DeferredJoinOffset = 1000;

    public async Task<EventPage> SearchAsync(EventScope scope, EventQuery query, CancellationToken ct)
    {
        var (where, parameters) = EventFilterSql.Where(scope, query.Filter);
        var orderBy = EventFilterSql.OrderBy(query.Sort);

        await using var connection = await dataSource.OpenConnectionAsync(ct);

        // The count and the requested page go together in one round trip; only a page past the end costs a second one.
        // A device's, SIM's or user's whole list is counted by a prepared statement of its own first: PostgreSQL then
        // settles on one plan for it per connection instead of planning every partition again for every request. Only
        // those three counts: one prepared statement per filter shape would pile up plans on every connection, and a
        // page's generic plan (blind to its LIMIT) would sort whole result sets.
        long? total = null;
        List<EventView> rows;
        var count = EventCounts.CountFromHours(scope, query.Filter, CountedFrom) ?? Command($"SELECT count(*) FROM events e WHERE {where}", parameters);
        if (!scope.IsWholeOrganisation && query.Filter.IsTimeWindowOnly && query.Filter.From is null && query.Filter.Until is null)
        {
            await using var prepared = ToCommand(count, connection);
            await prepared.PrepareAsync(ct);
            total = (long)(await prepared.ExecuteScalarAsync(ct))!;
        }

        await using (var batch = new NpgsqlBatch(connection))
        {
            if (total is null)
            {
                batch.BatchCommands.Add(count);
            }

            batch.BatchCommands.Add(PageCommand(where, orderBy, parameters, query, (query.Page - 1L) * query.PerPage));
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (total is null)
            {
                await reader.ReadAsync(ct);
                total = reader.GetInt64(0);
                await reader.NextResultAsync(ct);
            }

            rows = await EventTable.ReadAllAsync(reader, ct);
        }

        var pages = (int)Math.Max(1, (total.Value + query.PerPage - 1) / query.PerPage);
        var page = Math.Min(query.Page, pages);
        if (page != query.Page)
        {
            await using var command = ToCommand(PageCommand(where, orderBy, parameters, query, (page - 1L) * query.PerPage), connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            rows = await EventTable.ReadAllAsync(reader, ct);
        }

        return new EventPage(rows, total.Value, page, query.PerPage, pages);
    }

    public async Task<EventView?> FindAsync(long organisationId, long id, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(
            $"""SELECT {EventTable.SelectList} FROM events e WHERE e.id = @id AND e.organisation_id = @org ORDER BY e."timestamp" DESC LIMIT 1""");
        command.Parameters.Add(new NpgsqlParameter<long>("id", id));
        command.Parameters.Add(new NpgsqlParameter<long>("org", organisationId));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return (await EventTable.ReadAllAsync(reader, ct)).FirstOrDefault();
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
        return (await EventTable.ReadAllAsync(reader, ct)).FirstOrDefault();
    }

    /// <summary>The first hour whose count the hourly counts answer (see <see cref="EventCounts.CountedFrom"/>).</summary>
    public DateTimeOffset CountedFrom => EventCounts.CountedFrom(retention.Cutoff);

    /// <summary>
    /// A page. Deep in a list, or for ICCIDs (whose index yields matches out of order, to be sorted), it is a deferred
    /// join: the inner query finds the page's keys from index entries alone where the filter allows, and just the
    /// page's own rows are read from the heap, where a plain OFFSET or sort reads every skipped or sorted row. Near
    /// the front of an ordered walk the plain form is cheaper: the join plans every partition twice.
    /// </summary>
    private static NpgsqlBatchCommand PageCommand(string where, string orderBy, IReadOnlyList<NpgsqlParameter> parameters, EventQuery query, long offset)
    {
        var command = Command(
            offset < DeferredJoinOffset && query.Filter.Iccids.Count == 0
                ? $"SELECT {EventTable.SelectList} FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset"
                : $"""
                  SELECT {EventTable.SelectList} FROM events e JOIN (
                      SELECT e.organisation_id, e.id, e."timestamp" FROM events e WHERE {where} ORDER BY {orderBy} LIMIT @limit OFFSET @offset
                  ) page ON e.organisation_id = page.organisation_id AND e.id = page.id AND e."timestamp" = page."timestamp"
                  ORDER BY {orderBy}
                  """,
            parameters);
        command.Parameters.Add(new NpgsqlParameter<int>("limit", query.PerPage));
        command.Parameters.Add(new NpgsqlParameter<long>("offset", offset));
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

    /// <summary>A batch command on its own, to prepare it or to run it after the batch.</summary>
    private static NpgsqlCommand ToCommand(NpgsqlBatchCommand source, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(source.CommandText, connection);
        foreach (NpgsqlParameter p in source.Parameters)
        {
            command.Parameters.Add(p.Clone());
        }

        return command;
    }
}
