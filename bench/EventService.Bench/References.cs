using System.Diagnostics;
using System.Globalization;
using EventService.Api.Storage;
using EventService.Domain.Events;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace EventService.Bench;

/// <summary>The side-by-side references: what PostgreSQL takes without the service in between.</summary>
public sealed class References(NpgsqlDataSource dataSource, string connectionString)
{
    private const string Columns =
        """
        id, "timestamp", received_at, event_type_id, severity, source, alert, description, organisation_id, user_id,
        endpoint_id, sim_id, imsi_id, iccid, imsi, imei, ip_address, user_name, endpoint_name, tags, network, country,
        rat_type, entities, detail, extra, producer_id
        """;

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

    public const string CopyCommand = $"COPY events ({Columns}) FROM STDIN (FORMAT BINARY)";

    /// <summary>One event as a row of <see cref="CopyCommand"/>, with the given id and times.</summary>
    public static async Task WriteRowAsync(NpgsqlBinaryImporter import, ValidatedEvent e, long id, DateTimeOffset timestamp, DateTimeOffset receivedAt, CancellationToken ct)
    {
        await import.StartRowAsync(ct);
        await import.WriteAsync(id, NpgsqlDbType.Bigint, ct);
        await import.WriteAsync(timestamp, NpgsqlDbType.TimestampTz, ct);
        await import.WriteAsync(receivedAt, NpgsqlDbType.TimestampTz, ct);
        await import.WriteAsync(e.TypeId, NpgsqlDbType.Integer, ct);
        await import.WriteAsync((short)e.Severity, NpgsqlDbType.Smallint, ct);
        await import.WriteAsync((short)e.Source, NpgsqlDbType.Smallint, ct);
        await import.WriteAsync(e.Alert, NpgsqlDbType.Boolean, ct);
        await WriteAsync(import, e.Description, NpgsqlDbType.Text, ct);
        await import.WriteAsync(e.OrganisationId, NpgsqlDbType.Bigint, ct);
        await WriteAsync(import, e.UserId, NpgsqlDbType.Bigint, ct);
        await WriteAsync(import, e.EndpointId, NpgsqlDbType.Bigint, ct);
        await WriteAsync(import, e.SimId, NpgsqlDbType.Bigint, ct);
        await WriteAsync(import, e.ImsiId, NpgsqlDbType.Bigint, ct);
        await WriteAsync(import, e.Iccid, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.Imsi, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.Imei, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.IpAddress, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.UserName, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.EndpointName, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.Tags, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.Network, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.Country, NpgsqlDbType.Text, ct);
        await WriteAsync(import, e.RatType, NpgsqlDbType.Smallint, ct);
        await import.WriteAsync(e.EntitiesJson, NpgsqlDbType.Jsonb, ct);
        await WriteAsync(import, e.DetailJson, NpgsqlDbType.Jsonb, ct);
        await WriteAsync(import, e.ExtraJson, NpgsqlDbType.Jsonb, ct);
        await import.WriteAsync(1L, NpgsqlDbType.Bigint, ct);
    }

    private static Task WriteAsync<T>(NpgsqlBinaryImporter import, T? value, NpgsqlDbType type, CancellationToken ct) =>
        value is null ? import.WriteNullAsync(ct) : import.WriteAsync(value, type, ct);

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

    private static StoredEvent ToStored(ValidatedEvent e, DateTimeOffset receivedAt) => new()
    {
        Id = e.Id!.Value, Timestamp = e.Timestamp, ReceivedAt = receivedAt, EventTypeId = e.TypeId, Severity = (short)e.Severity,
        Source = (short)e.Source, Alert = e.Alert, Description = e.Description, OrganisationId = e.OrganisationId, UserId = e.UserId,
        EndpointId = e.EndpointId, SimId = e.SimId, ImsiId = e.ImsiId, Iccid = e.Iccid, Imsi = e.Imsi, Imei = e.Imei,
        IpAddress = e.IpAddress, UserName = e.UserName, EndpointName = e.EndpointName, Tags = e.Tags, Network = e.Network,
        Country = e.Country, RatType = e.RatType, Entities = e.EntitiesJson, Detail = e.DetailJson, Extra = e.ExtraJson, ProducerId = 1,
    };

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
            var values = string.Join(", ",
                "nextval('event_id_seq')", "now() - random() * interval '20 hours'", "now()",
                e.TypeId.ToString(CultureInfo.InvariantCulture), ((short)e.Severity).ToString(CultureInfo.InvariantCulture),
                ((short)e.Source).ToString(CultureInfo.InvariantCulture), e.Alert ? "true" : "false", Literal(e.Description),
                e.OrganisationId.ToString(CultureInfo.InvariantCulture), Literal(e.UserId), Literal(e.EndpointId), Literal(e.SimId),
                Literal(e.ImsiId), Literal(e.Iccid), Literal(e.Imsi), Literal(e.Imei), Literal(e.IpAddress), Literal(e.UserName),
                Literal(e.EndpointName), Literal(e.Tags), Literal(e.Network), Literal(e.Country), Literal(e.RatType),
                Literal(e.EntitiesJson) + "::jsonb", Literal(e.DetailJson) + "::jsonb", Literal(e.ExtraJson) + "::jsonb", "1");
            await File.WriteAllTextAsync(script, $"INSERT INTO events ({Columns.ReplaceLineEndings(" ")}) VALUES ({values});\n", ct);

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

    private static string Literal(string? value) => value is null ? "NULL" : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Literal<T>(T? value) where T : struct, IFormattable =>
        value is { } v ? v.ToString(null, CultureInfo.InvariantCulture) : "NULL";
}
