using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EventService.Bench;

/// <summary>
/// Single-event load by wrk (a C client, as light on the shared cores as pgbench is): a Lua script posts one event
/// per request, each with a new id, from a pool of generated events; p50 and p99 from wrk's latency histogram.
/// </summary>
public static class Wrk
{
    public static bool Available() =>
        Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(dir => File.Exists(Path.Combine(dir, "wrk")));

    public static async Task<LoadFigures> PostSinglesAsync(Uri service, string token, int connections, TimeSpan duration, DateTimeOffset now, long firstId, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("eventservice-wrk-").FullName;
        try
        {
            // The pool: each event without its leading {"id":N so that the script can put a new id in front.
            var pool = EventGenerator.Generate(7, now, 1, 500).Select(json => json[json.IndexOf(',', StringComparison.Ordinal)..]);
            var script = new StringBuilder()
                .AppendLine("local pool = {")
                .AppendJoin(",\n", pool.Select(rest => "[==[" + rest + "]==]"))
                .AppendLine("}")
                .AppendLine(CultureInfo.InvariantCulture, $"local first = {firstId}")
                .AppendLine(CultureInfo.InvariantCulture, $"wrk.headers[\"Authorization\"] = \"Bearer {token}\"")
                .AppendLine("wrk.headers[\"Content-Type\"] = \"application/json\"")
                .AppendLine("""
                    local threads = {}
                    local n = 0
                    function setup(thread)
                        n = n + 1
                        thread:set("base", first + n * 100000000)
                        table.insert(threads, thread)
                    end
                    local counter = 0
                    function request()
                        counter = counter + 1
                        local body = '{"id":' .. string.format("%.0f", base + counter) .. pool[(counter % #pool) + 1]
                        return wrk.format("POST", "/api/v1/event", nil, body)
                    end
                    function done(summary, latency, requests)
                        io.write(string.format("RESULT %d %d %d %d %.0f %.0f\n", summary.requests, summary.duration,
                            summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
                            0, latency:percentile(50), latency:percentile(99)))
                    end
                    """);
            var path = Path.Combine(dir, "post.lua");
            await File.WriteAllTextAsync(path, script.ToString(), ct);

            var start = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[]
                     {
                         "-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture),
                         "-d", $"{(int)Math.Ceiling(duration.TotalSeconds)}s", "--timeout", "10s", "-s", path, new Uri(service, "/api/v1/event").ToString(),
                     })
            {
                start.ArgumentList.Add(a);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var text = await output;
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"wrk exited with {process.ExitCode}: {text}{await error}");
            var f = line.Split(' ');
            var requests = long.Parse(f[1], CultureInfo.InvariantCulture);
            var seconds = long.Parse(f[2], CultureInfo.InvariantCulture) / 1e6;
            var errors = long.Parse(f[3], CultureInfo.InvariantCulture);
            return new LoadFigures((requests - errors) / seconds, double.Parse(f[5], CultureInfo.InvariantCulture) / 1000,
                double.Parse(f[6], CultureInfo.InvariantCulture) / 1000, requests - errors, errors);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
