using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using EventService.Api.Storage;
using EventService.Api.Storage.Events;
using EventService.Domain.Events;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Bench;

/// <summary>The side-by-side references: what PostgreSQL takes without the service in between.</summary>
public sealed class References(NpgsqlDataSource dataSource, string connectionString)
{
    /// <summary>Binary COPY of the events in chunks of <paramref name="chunk"/> rows by <paramref name="writers"/> connections.</summary>
    public async Task<TimeSpan> CopyAsync(ValidatedEvent[] events, int chunk, int writers, CancellationToken ct)
    {
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            int c;
            while ((c = Interlocked.Increment(ref next)) * chunk < events.Length)
            {
                var now = DateTimeOffset.UtcNow;
                await using var import = await connection.BeginBinaryImportAsync(CopyCommand, ct);
                foreach (var e in new ArraySegment<ValidatedEvent>(events, c * chunk, Math.Min(chunk, events.Length - c * chunk)))
                {
                    await WriteRowAsync(import, e, e.Id!.Value, e.Timestamp, now, ct);
                }

                await import.CompleteAsync(ct);
            }
        }, ct)));
        return stopwatch.Elapsed;
    }

    public static string CopyCommand => EventTable.CopyCommand;

    /// <summary>One event as a row of <see cref="CopyCommand"/>, with the given id and times.</summary>
    public static Task WriteRowAsync(NpgsqlBinaryImporter import, ValidatedEvent e, long id, DateTimeOffset timestamp, DateTimeOffset receivedAt, CancellationToken ct) =>
        EventTable.WriteRowAsync(import, new NewEvent(e.Timestamp == timestamp ? e : e with { Timestamp = timestamp }, id, receivedAt, 1), ct);

    /// <summary>Plain EF Core: a new context per chunk, AddRange, SaveChanges, by <paramref name="writers"/> tasks.</summary>
    public async Task<TimeSpan> EfCoreAsync(ValidatedEvent[] events, int chunk, int writers, CancellationToken ct)
    {
        var options = new DbContextOptionsBuilder<EventsDbContext>().UseNpgsql(dataSource).UseSnakeCaseNamingConvention().Options;
        var next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            int c;
            while ((c = Interlocked.Increment(ref next)) * chunk < events.Length)
            {
                var now = DateTimeOffset.UtcNow;
                await using var db = new EventsDbContext(options);
                db.Events.AddRange(events.Skip(c * chunk).Take(chunk).Select(e => ToStored(e, now)));
                await db.SaveChangesAsync(ct);
            }
        }, ct)));
        return stopwatch.Elapsed;
    }

    // The entity's properties in the column map's order, found by their column names (the guard test holds them equal).
    private static readonly (EventColumn Column, PropertyInfo Property)[] EntityColumns = EventTable.Columns
        .Select(c => (c, typeof(StoredEvent).GetProperties().Single(p => SnakeCase(p.Name) == c.Name))).ToArray();

    private static StoredEvent ToStored(ValidatedEvent e, DateTimeOffset receivedAt)
    {
        var row = new NewEvent(e, e.Id, receivedAt, 1);
        var entity = new StoredEvent();
        foreach (var (column, property) in EntityColumns)
        {
            property.SetValue(entity, column.Value(row));
        }

        return entity;
    }

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>
    /// pgbench: one-row INSERT transactions (synchronous commit) of the given event's row, with a new id from the
    /// service's sequence and a timestamp in the last 20 hours, from <paramref name="clients"/> connections for
    /// <paramref name="duration"/>. Latencies from pgbench's per-transaction log.
    /// </summary>
    public async Task<LoadFigures> PgbenchAsync(ValidatedEvent e, int clients, TimeSpan duration, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("eventservice-pgbench-").FullName;
        try
        {
            var script = Path.Combine(dir, "insert.sql");
            var row = new NewEvent(e, null, default, 1);
            var values = string.Join(", ", EventTable.Columns.Select(c => c.Name switch
            {
                "id" => $"nextval('{EventTable.IdSequence}')",
                "timestamp" => "now() - random() * interval '20 hours'",
                "received_at" => "now()",
                _ => Literal(c.Value(row)) + (c.Type == NpgsqlDbType.Jsonb ? "::jsonb" : ""),
            }));
            await File.WriteAllTextAsync(script, $"INSERT INTO events ({EventTable.ColumnList}) VALUES ({values});\n", ct);

            var cs = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo("pgbench")
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in new[]
                     {
                         "-n", "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username ?? "postgres",
                         "-f", script, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2",
                         "-T", ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                         "-l", "--log-prefix", Path.Combine(dir, "log"), cs.Database ?? "postgres",
                     })
            {
                start.ArgumentList.Add(a);
            }

            if (!string.IsNullOrEmpty(cs.Password))
            {
                start.Environment["PGPASSWORD"] = cs.Password;
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"pgbench exited with {process.ExitCode}: {await output}{await error}");
            }

            var latencies = new List<double>();
            foreach (var file in Directory.GetFiles(dir, "log.*"))
            {
                foreach (var line in File.ReadLines(file))
                {
                    // client_id transaction_no latency_us script_no epoch_s epoch_us
                    latencies.Add(double.Parse(line.Split(' ')[2], CultureInfo.InvariantCulture) / 1000);
                }
            }

            var tps = ParseTps(await output);
            return LoadFigures.Of(latencies, tps, 0);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double ParseTps(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("tps = ", StringComparison.Ordinal))
            {
                return double.Parse(line[6..].Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no tps in pgbench's output: " + output);
    }

    private static string Literal(object? value) => value switch
    {
        null => "NULL",
        string text => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'",
        bool flag => flag ? "true" : "false",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "no literal for this type"),
    };
}
