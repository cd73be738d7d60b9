using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace EventService.Bench;

/// <summary>One statement's plan as auto_explain logged it: its text and the plan tree (JSON format).</summary>
public sealed record LoggedPlan(string QueryText, JsonObject Plan);

/// <summary>
/// The plans of the statements the service really runs, from auto_explain: a throwaway cluster started with
/// auto_explain preloaded (idle) and a jsonlog (<see cref="BenchDatabase.OpenAsync"/>); <see cref="CaptureAsync"/>
/// turns it on (log_min_duration 0, log_analyze with log_timing off: row counts without the clock reads' cost) for
/// one action and off again, and returns every plan logged between two marker statements around it.
/// </summary>
public sealed class PlanLog(NpgsqlDataSource dataSource, string dataDirectory)
{
    private const string Marker = "plan-log-marker:";
    private int markers;

    public async Task OnAsync(CancellationToken ct)
    {
        foreach (var sql in new[]
                 {
                     "ALTER SYSTEM SET auto_explain.log_min_duration = 0", "ALTER SYSTEM SET auto_explain.log_analyze = on",
                     "ALTER SYSTEM SET auto_explain.log_timing = off", "SELECT pg_reload_conf()",
                 })
        {
            await ExecuteAsync(sql, ct);
        }

        await Task.Delay(500, ct); // the postmaster signals every backend; an idle one rereads the file before its next command
    }

    public async Task OffAsync(CancellationToken ct)
    {
        foreach (var sql in new[]
                 {
                     "ALTER SYSTEM RESET auto_explain.log_min_duration", "ALTER SYSTEM RESET auto_explain.log_analyze",
                     "ALTER SYSTEM RESET auto_explain.log_timing", "SELECT pg_reload_conf()",
                 })
        {
            await ExecuteAsync(sql, ct);
        }

        await Task.Delay(500, ct);
    }

    /// <summary>
    /// The plans logged while <paramref name="action"/> ran (between <see cref="OnAsync"/> and <see cref="OffAsync"/>);
    /// null when the markers did not show up in the current jsonlog within 5 s (say, the log rotated in between).
    /// </summary>
    public async Task<IReadOnlyList<LoggedPlan>?> CaptureAsync(Func<Task> action, CancellationToken ct)
    {
        var start = $"{Marker}{Interlocked.Increment(ref markers)}";
        var end = $"{Marker}{Interlocked.Increment(ref markers)}";
        await ExecuteAsync($"SELECT '{start}'::text", ct);
        await action();
        await ExecuteAsync($"SELECT '{end}'::text", ct);

        // The logging collector writes what its pipe brings in order; the end marker follows the action's statements.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var plans = await ReadAsync(ct);
            var from = plans.FindIndex(p => p.QueryText.Contains(start, StringComparison.Ordinal));
            var until = plans.FindIndex(p => p.QueryText.Contains(end, StringComparison.Ordinal));
            if (from >= 0 && until > from)
            {
                return plans[(from + 1)..until].Where(p => !p.QueryText.Contains(Marker, StringComparison.Ordinal)).ToList();
            }

            await Task.Delay(100, ct);
        }

        return null;
    }

    private async Task<List<LoggedPlan>> ReadAsync(CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand("SELECT pg_current_logfile('jsonlog')");
        var relative = (string?)await command.ExecuteScalarAsync(ct) ?? throw new InvalidOperationException("the cluster writes no jsonlog");
        var plans = new List<LoggedPlan>();
        await using var file = new FileStream(Path.Combine(dataDirectory, relative), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(file);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            // auto_explain's entry: "duration: 0.123 ms  plan:\n{ "Query Text": ..., "Plan": {...} }"
            if (!line.Contains("plan:", StringComparison.Ordinal) || JsonNode.Parse(line)?["message"]?.GetValue<string>() is not { } message)
            {
                continue;
            }

            var json = message.IndexOf("plan:\n", StringComparison.Ordinal) is var at and >= 0 ? message[(at + "plan:\n".Length)..] : null;
            if (json is not null && JsonNode.Parse(json) is JsonObject explained && explained["Plan"] is JsonObject plan)
            {
                plans.Add(new LoggedPlan(explained["Query Text"]?.GetValue<string>() ?? "", plan));
            }
        }

        return plans;
    }

    /// <summary>
    /// The issue's two rules for a list request's plans: no Seq Scan of the events table or a partition of it (that read
    /// a row: see <see cref="ReadNothing"/>), and, for
    /// a list in an indexed order (<paramref name="indexedOrder"/>), no Sort of more than <paramref name="pageRows"/>
    /// rows (rows in from its child by log_analyze's count, else the planner's estimate). The offending nodes, if any.
    /// </summary>
    public static IReadOnlyList<string> Offences(IReadOnlyList<LoggedPlan> plans, bool indexedOrder, int pageRows)
    {
        var offences = new List<string>();
        foreach (var logged in plans)
        {
            var statement = logged.QueryText.TrimStart().StartsWith("SELECT count(", StringComparison.OrdinalIgnoreCase) ? "count" : "page";
            Walk(logged.Plan, node =>
            {
                var type = node["Node Type"]?.GetValue<string>();
                var relation = node["Relation Name"]?.GetValue<string>();
                if (type == "Seq Scan" && relation is not null && (relation == "events" || relation.StartsWith("events_", StringComparison.Ordinal)) &&
                    !ReadNothing(node))
                {
                    offences.Add($"{statement}: Seq Scan on {relation} ({Rows(node)})");
                }

                if (type == "Sort" && indexedOrder)
                {
                    var child = (node["Plans"] as JsonArray)?.FirstOrDefault() as JsonObject;
                    var sorted = child?["Actual Rows"] is { } actual
                        ? actual.GetValue<double>() * (child["Actual Loops"]?.GetValue<double>() ?? 1)
                        : node["Plan Rows"]?.GetValue<double>() ?? 0;
                    if (sorted > pageRows)
                    {
                        var key = node["Sort Key"] is JsonArray keys ? string.Join(", ", keys.Select(k => k?.GetValue<string>())) : "?";
                        var method = node["Sort Method"]?.GetValue<string>() is { } m ? $", {m}" : "";
                        offences.Add(string.Create(CultureInfo.InvariantCulture,
                            $"{statement}: Sort of {sorted:N0} rows{(child?["Actual Rows"] is null ? " (estimated)" : "")} by {key}{method}"));
                    }
                }
            });
        }

        return offences;
    }

    /// <summary>
    /// A scan that log_analyze saw read no row: the planner reads an empty partition (the days ahead) by Seq Scan,
    /// which costs nothing; the rule is about walking rows.
    /// </summary>
    private static bool ReadNothing(JsonObject node) =>
        node["Actual Rows"] is { } actual && actual.GetValue<double>() == 0 && (node["Rows Removed by Filter"]?.GetValue<double>() ?? 0) == 0;

    /// <summary>How many partitions of events a plan reads by which node type ("Index Only Scan 30, Seq Scan 1").</summary>
    public static string Scans(IReadOnlyList<LoggedPlan> plans)
    {
        var scans = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var logged in plans)
        {
            Walk(logged.Plan, node =>
            {
                if (node["Relation Name"]?.GetValue<string>() is { } relation && relation.StartsWith("events", StringComparison.Ordinal) &&
                    node["Node Type"]?.GetValue<string>() is { } type)
                {
                    var key = type == "Seq Scan" && ReadNothing(node) ? "Seq Scan of an empty partition" : type;
                    scans[key] = scans.GetValueOrDefault(key) + 1;
                }
            });
        }

        return string.Join(", ", scans.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}"));
    }

    private static string Rows(JsonObject node) =>
        node["Actual Rows"] is { } actual
            ? string.Create(CultureInfo.InvariantCulture, $"{actual.GetValue<double>() * (node["Actual Loops"]?.GetValue<double>() ?? 1):N0} rows out, {node["Rows Removed by Filter"]?.GetValue<double>() ?? 0:N0} removed by its filter")
            : string.Create(CultureInfo.InvariantCulture, $"estimated {node["Plan Rows"]?.GetValue<double>() ?? 0:N0} rows");

    private static void Walk(JsonObject node, Action<JsonObject> visit)
    {
        visit(node);
        foreach (var child in (node["Plans"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Walk(child, visit);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(ct);
    }
}
