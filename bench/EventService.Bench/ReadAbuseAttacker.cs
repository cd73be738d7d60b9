using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace EventService.Bench;

/// <summary>What the read attacker's requests of one URL (or all of them) were answered: counts by status and the p99.</summary>
/// <param name="Requests">The requests answered (or failed) before the attack's end.</param>
/// <param name="Statuses">"200", "422", "429", "503", ...; "no answer" for the client's timeout, a reset or a refused connection.</param>
/// <param name="P99Ms">Of the answered requests.</param>
/// <param name="OpenAtEnd">Requests still waiting for their answer when the attack ended (not in the p99).</param>
public sealed record ReadAttackFigures(long Requests, Dictionary<string, long> Statuses, double P99Ms, long OpenAtEnd)
{
    public long Count(string status) => Statuses.GetValueOrDefault(status);

    /// <summary>Every answer other than 200, 422, 429 and 503.</summary>
    public long Other => Requests - Count("200") - Count("422") - Count("429") - Count("503");
}

/// <summary>The read attacker's result: all its requests, and each URL's.</summary>
public sealed record ReadAttackResult(ReadAttackFigures All, Dictionary<string, ReadAttackFigures> ByUrl);

/// <summary>
/// The read abuse scenario's attacker, a child process as <see cref="AbuseAttacker"/>'s is (<c>read-abuse-attacker</c>):
/// from 127.0.0.2, <c>connections</c> connections each sending the given list URLs in turn, one request at a time, with
/// the organisation's token, each answer read to its end; prints <c>ATTACK {json}</c> (a <see cref="ReadAttackResult"/>).
/// </summary>
public static class ReadAbuseAttacker
{
    private const string OpenAtEnd = "open at the end";

    /// <summary>The child's entry: read-abuse-attacker &lt;service&gt; &lt;seconds&gt; &lt;connections&gt; &lt;url&gt;...</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var service = new Uri(args[0]);
        var seconds = int.Parse(args[1], CultureInfo.InvariantCulture);
        var connections = int.Parse(args[2], CultureInfo.InvariantCulture);
        var urls = args.Skip(3).ToArray();
        var token = Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_ATTACKER_TOKEN") ?? throw new InvalidOperationException("no attacker token");
        if (seconds is < 1 or > 300 || connections is < 1 or > 256 || urls.Length == 0)
        {
            throw new ArgumentException("the attack is bounded: at most 300 s and 256 connections, and needs a URL");
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var ct = deadline.Token;
        var samples = new ConcurrentBag<(string Url, string Status, double Ms)>();
        using var http = AbuseBenchmark.BoundClient(service, AbuseBenchmark.AttackerAddress, connections, TimeSpan.FromSeconds(30));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var tasks = Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            for (var i = worker; i < 10_000_000 && !ct.IsCancellationRequested; i++)
            {
                var url = urls[i % urls.Length];
                var started = Stopwatch.GetTimestamp();
                string status;
                try
                {
                    using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead, ct);
                    status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    samples.Add((url, OpenAtEnd, Stopwatch.GetElapsedTime(started).TotalMilliseconds)); // not an answer
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    status = "no answer";
                }

                samples.Add((url, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                if (status == "no answer")
                {
                    await Task.Delay(100, CancellationToken.None); // a refused connection is not retried in a tight loop
                }
            }
        })).ToList();

        // Every loop ends at the deadline; one stuck in a read gets 5 s more, then the process ends with it.
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(seconds + 5), CancellationToken.None));
        var all = samples.ToList();
        var result = new ReadAttackResult(Figures(all), urls.Distinct().ToDictionary(u => u, u => Figures(all.Where(s => s.Url == u).ToList())));
        Console.WriteLine("ATTACK " + JsonSerializer.Serialize(result));
        return 0;
    }

    private static ReadAttackFigures Figures(List<(string Url, string Status, double Ms)> samples)
    {
        var answered = samples.Where(s => s.Status != OpenAtEnd).ToList();
        var sorted = answered.Select(s => s.Ms).Order().ToList();
        var p99 = sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(sorted.Count * 0.99) - 1, 0, sorted.Count - 1)];
        return new ReadAttackFigures(answered.Count, answered.GroupBy(s => s.Status).ToDictionary(g => g.Key, g => (long)g.Count()), p99,
            samples.Count - answered.Count);
    }
}
