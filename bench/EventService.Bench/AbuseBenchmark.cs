using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventService.Api.Storage.Events;
using Npgsql;

namespace EventService.Bench;

/// <param name="Phase">How long the victim's load runs in each phase.</param>
/// <param name="Ramp">How long the attack runs before the victim's abuse phase starts (slow bodies connected, big posts in flight).</param>
/// <param name="StoredBigEvents">How many 2.5 MB events the attacker's organisation holds before the phases (what its lists return).</param>
public sealed record AbuseSettings(string Mode, TimeSpan Phase, TimeSpan Ramp, TimeSpan WarmUp, int SlowBodies, int BigPosters, int Flood, int SeedEvents, int StoredBigEvents)
{
    public static AbuseSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new AbuseSettings("full", TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), 200, 8, 256, 500, 200);
        for (var i = 0; i < args.Count; i++)
        {
            settings = args[i] switch
            {
                "--smoke" => settings with { Mode = "smoke", Phase = TimeSpan.FromSeconds(2), Ramp = TimeSpan.FromSeconds(1), WarmUp = TimeSpan.FromSeconds(0.5), SlowBodies = 20, BigPosters = 2, Flood = 32, SeedEvents = 200, StoredBigEvents = 3 },
                "--quick" => settings with { Mode = "quick", Phase = TimeSpan.FromSeconds(10), Ramp = TimeSpan.FromSeconds(2), WarmUp = TimeSpan.FromSeconds(3), StoredBigEvents = 100 },
                "--attacks" when i + 1 < args.Count && args[i + 1].Split(',') is var names && names.All(n => n is "slow" or "big" or "flood") =>
                    settings with
                    {
                        SlowBodies = names.Contains("slow") ? settings.SlowBodies : 0,
                        BigPosters = names.Contains("big") ? settings.BigPosters : 0,
                        Flood = names.Contains("flood") ? settings.Flood : 0,
                        StoredBigEvents = names.Contains("big") ? settings.StoredBigEvents : 0,
                    },
                "--seconds" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 120 =>
                    settings with { Phase = TimeSpan.FromSeconds(s) },
                _ => throw new ArgumentException($"unknown option {args[i]}: use --quick or --smoke, or nothing for the full run; --seconds N (1 to 120) " +
                                                 "sets the phase; --attacks slow,big,flood picks the attacks (after the mode)"),
            };
            i += args[i] is "--seconds" or "--attacks" ? 1 : 0;
        }

        return settings;
    }
}

/// <summary>
/// The abuse scenario of the ingest issue: one organisation's producer posts single events and its reader pages a
/// device, each one request at a time, first on a quiet service and then while another organisation attacks it with
/// slow bodies, 2.5 MB events (and lists of them, 1000 a page) and a flood of unknown tokens and readiness probes.
/// The victim's success rate and latency and the service's peak RSS of both phases side by side, with the issue's
/// targets marked (reported, never asserted: only a crashed service fails the run).
/// The attack runs in a child process (<see cref="AbuseAttacker"/>) so that its hundreds of connections do not queue
/// the victim's continuations in this process's thread pool; victim and attacker connect from different loopback
/// addresses (127.0.0.10 and 127.0.0.2), as two clients would, so per-address limits can tell them apart.
/// The service runs with its own rate limits at their defaults (the other scenarios turn them off).
/// Usage: dotnet run -c Release --project bench/EventService.Bench -- abuse [--quick|--smoke] [--seconds N]
/// </summary>
public static class AbuseBenchmark
{
    public const long VictimOrganisation = 3001;
    public const long AttackerOrganisation = 3002;
    public static readonly IPAddress VictimAddress = IPAddress.Parse("127.0.0.10");
    public static readonly IPAddress AttackerAddress = IPAddress.Parse("127.0.0.2");

    internal const long PagedDevice = VictimOrganisation * 10_000;
    private const int ForwardedLogLines = 40; // under attack the service logs every failure with its stack trace

    // The organisation's read limit is 100 requests/s (RateLimits:Read); a well-behaved reader stays below it.
    internal static readonly TimeSpan ReaderInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan VictimTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = AbuseSettings.Parse(args);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(settings.Mode == "smoke" ? 4 : 10)); // the whole run is bounded
        var ct = stop.Token;
        var now = DateTimeOffset.UtcNow;
        // The service would refuse these; better to know before anything starts.
        EventGenerator.Validate([Event(1, now, VictimOrganisation, PagedDevice, 0), Event(null, now, AttackerOrganisation, AttackerOrganisation * 10_000, 2)], now);

        await using var database = await BenchDatabase.OpenAsync(ct);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var service = await ServiceProcess.StartAsync(database.ConnectionString, ct, rateLimits: true, forwardLines: ForwardedLogLines);
        var victimReader = await QueryBenchmark.TokenAsync(service, VictimOrganisation, ct);
        var attacker = await QueryBenchmark.TokenAsync(service, AttackerOrganisation, ct);
        var victimProducer = await ProducerAsync(service, VictimOrganisation, ct);

        var stored = await StoreBigEventsAsync(service, attacker, dataSource, settings.StoredBigEvents, ct);
        Console.WriteLine(await BenchDatabase.HeaderAsync("abuse", settings.Mode, now, dataSource, ct));
        Console.WriteLine($"victim: organisation {VictimOrganisation} from {VictimAddress}, its producer posting single events one at a time " +
                          $"and its reader paging device {PagedDevice} ({settings.SeedEvents} events, first page of 100, at most one request per " +
                          $"{ReaderInterval.TotalMilliseconds:F0} ms: inside the organisation's read limit); {settings.Phase.TotalSeconds:F0} s per phase; " +
                          $"service rate limits at their defaults; service settings: {Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_SET") ?? "defaults"}");
        Console.WriteLine($"attacker: organisation {AttackerOrganisation} from {AttackerAddress}, for {settings.Ramp.TotalSeconds:F0} s before and during the " +
                          $"victim's phase: {settings.SlowBodies} slow bodies (Content-Length 10 MB, {AbuseAttacker.SlowBytesPerSecond} B/s each), " +
                          $"{settings.BigPosters} connections posting {AbuseAttacker.BlobStrings}-string ({AbuseAttacker.BigEventBytes / 1e6:F1} MB) events " +
                          $"and one listing them per_page=1000, {settings.Flood} connections half anonymous /health/ready and half POST /api/v1/event " +
                          "with an unknown esp_ token each (.NET HttpClient in a child process)");
        Console.WriteLine($"the attacker's organisation's 2.5 MB events before the phases: {stored}");

        using var producer = VictimClient(service.Address, victimProducer);
        using var reader = VictimClient(service.Address, victimReader);
        var victim = new Victim(producer, reader);
        await SeedAsync(producer, settings.SeedEvents, ct);
        await victim.RunAsync(settings.WarmUp, ct); // JIT, pools and caches

        var quiet = await MeasureAsync(service, victim, settings.Phase, ct);
        Console.Error.WriteLine($"  quiet phase: {quiet.Posts.Count} posts, {quiet.Pages.Count} pages, peak RSS {quiet.PeakRss / 1048576.0:N0} MB");

        Dictionary<string, long> attack;
        Phase abused;
        var attackFor = settings.Ramp + settings.Phase + TimeSpan.FromSeconds(1);
        await using (var attackers = AbuseAttacker.Start(service.Address, attacker, settings, attackFor))
        {
            abused = await MeasureAsync(service, victim, settings.Phase, ct, settings.Ramp, attackers.ExitedAsync(attackFor + TimeSpan.FromSeconds(15)));
            attack = await attackers.CountsAsync();
        }

        Console.Error.WriteLine($"  abuse phase: {abused.Posts.Count} posts, {abused.Pages.Count} pages, peak RSS {abused.PeakRss / 1048576.0:N0} MB");
        Print(quiet, abused, attack, settings);
        return Finish(service, ForwardedLogLines);
    }

    /// <summary>The end of an abuse run: the service's Warning-and-above log entries by level, and 1 when it exited during the run.</summary>
    internal static int Finish(ServiceProcess service, int forwardedLogLines)
    {
        var logged = string.Join(", ", service.LoggedByLevel.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value:N0}"));
        Console.WriteLine($"service log entries (Warning and above): {(logged.Length > 0 ? logged : "none")} (the first {forwardedLogLines} lines on stderr)");
        if (service.HasExited)
        {
            Console.WriteLine("the service exited during the run");
            return 1;
        }

        return 0;
    }

    /// <summary>One emnify "Update location" event; <paramref name="extraEndpoint"/> is appended inside its endpoint object.</summary>
    public static string Event(long? id, DateTimeOffset timestamp, long organisation, long endpoint, int source, string extraEndpoint = "")
    {
        var digits = (endpoint % 100_000_000).ToString("D8", CultureInfo.InvariantCulture);
        var ts = timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var idPart = id is { } i ? $"\"id\":{i.ToString(CultureInfo.InvariantCulture)}," : "";
        return $$$"""{{{{idPart}}}"timestamp":"{{{ts}}}","alert":false,"description":"New location received from VLR for IMSI='9014300{{{digits}}}', now attached to VLR='49172{{{digits}}}'.","event_type":{"id":1,"description":"Update location"},"event_source":{"id":{{{source}}},"description":"{{{(source == 2 ? "API" : "Network")}}}"},"event_severity":{"id":0,"description":"Info"},"organisation":{"id":{{{organisation}}},"name":"Org {{{organisation}}}"},"endpoint":{"id":{{{endpoint}}},"name":"device-{{{endpoint}}}","ip_address":"100.64.1.2","tags":"fleet","imei":"3569380{{{digits}}}"{{{extraEndpoint}}}},"sim":{"id":{{{700_000_000 + endpoint}}},"iccid":"89883030000{{{digits}}}","production_date":"2025-03-01T10:00:00.000Z"},"imsi":{"id":{{{800_000_000 + endpoint}}},"imsi":"9014300{{{digits}}}","import_date":"2025-03-01T10:00:00.000Z"},"detail":{"id":3,"name":"Vodafone","country":{"id":74,"name":"Germany","country_code":"49","mcc":"262","iso_code":"de"},"tapcode":[{"id":1,"tapcode":"DEUD2"}],"mnc":[{"id":2,"mnc":"02"}]}}""";
    }

    /// <summary>An HttpClient whose connections come from <paramref name="local"/> (any 127.x address is loopback on Linux).</summary>
    public static HttpClient BoundClient(Uri address, IPAddress local, int connections, TimeSpan timeout) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(local, 0));
                await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = address,
        Timeout = timeout,
    };

    public static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    internal static HttpClient VictimClient(Uri address, string token)
    {
        var http = BoundClient(address, VictimAddress, 1, VictimTimeout);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>A producer bound to the organisation, through the admin API.</summary>
    internal static async Task<string> ProducerAsync(ServiceProcess service, long organisation, CancellationToken ct)
    {
        using var admin = new HttpClient { BaseAddress = service.Address };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", service.AdminKey);
        var response = await admin.PostAsJsonAsync("/api/v1/admin/producers", new { name = $"producer of {organisation}", sources = new[] { 0, 1, 2 }, organisation_id = organisation }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["token"]!.GetValue<string>();
    }

    /// <summary>
    /// Posts one of the attacker's 2.5 MB events and, when the service stores it, copies it in SQL to make
    /// <paramref name="count"/> (posting them all would take minutes): the stock its lists of 1000 return.
    /// </summary>
    private static async Task<string> StoreBigEventsAsync(ServiceProcess service, string attacker, NpgsqlDataSource dataSource, int count, CancellationToken ct)
    {
        if (count == 0)
        {
            return "none";
        }

        using var http = BoundClient(service.Address, AttackerAddress, 1, TimeSpan.FromSeconds(60));
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", attacker);
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync("/api/v1/event", Json(AbuseAttacker.BigEvent(DateTimeOffset.UtcNow.AddMinutes(-1))), ct);
        var answered = $"one posted answered {(int)response.StatusCode} in {Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms";
        if (!response.IsSuccessStatusCode)
        {
            return answered + ", so none";
        }

        var columns = EventTable.Columns.Select(c => c.Name == "id" ? $"nextval('{EventTable.IdSequence}')" : "e." + c.Sql);
        await using var copy = dataSource.CreateCommand(
            $"INSERT INTO events ({EventTable.ColumnList}) SELECT {string.Join(", ", columns)} FROM events e, generate_series(2, @count) WHERE e.organisation_id = @organisation");
        copy.Parameters.AddWithValue("count", count);
        copy.Parameters.AddWithValue("organisation", AttackerOrganisation);
        copy.CommandTimeout = 600;
        started = Stopwatch.GetTimestamp();
        var copied = await copy.ExecuteNonQueryAsync(ct);
        await using (var checkpoint = dataSource.CreateCommand("CHECKPOINT")) // its writes are not the quiet phase's
        {
            checkpoint.CommandTimeout = 600;
            await checkpoint.ExecuteNonQueryAsync(ct);
        }

        return $"{answered}; {copied:N0} copies of it made in SQL in {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s";
    }

    /// <summary>The paged device's events over the last hour, in arrays of up to 250.</summary>
    internal static async Task SeedAsync(HttpClient producer, int count, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        for (var first = 0; first < count; first += 250)
        {
            var events = Enumerable.Range(first, Math.Min(250, count - first))
                .Select(i => Event(6_000_000_000L + i, now - TimeSpan.FromSeconds(3600.0 * (count - i) / count), VictimOrganisation, PagedDevice, 0))
                .ToArray();
            using var response = await producer.PostAsync("/api/v1/event", Json(EventGenerator.Array(events)), ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"seeding the victim's device answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
            }
        }
    }

    /// <summary>The victim's load for the duration while the service's RSS is sampled; with an attack, after its ramp and until it ends.</summary>
    internal static async Task<Phase> MeasureAsync(ServiceProcess service, Victim victim, TimeSpan duration, CancellationToken ct,
        TimeSpan ramp = default, Task? attackEnded = null)
    {
        var resetWorked = service.ResetPeak();
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = SampleRssAsync(service, sampling.Token);
        if (ramp > TimeSpan.Zero)
        {
            await Task.Delay(ramp, ct);
        }

        var (posts, pages) = await victim.RunAsync(duration, ct);
        if (attackEnded is not null)
        {
            await attackEnded;
        }

        await sampling.CancelAsync();
        var peak = await sampler;
        if (resetWorked && !service.HasExited)
        {
            peak = Math.Max(peak, service.PeakRss());
        }

        var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        return new Phase(posts, pages, peak, resetWorked ? "VmHWM" : "VmRSS sampled every 100 ms", load);
    }

    private static async Task<long> SampleRssAsync(ServiceProcess service, CancellationToken ct)
    {
        var peak = 0L;
        while (!ct.IsCancellationRequested && !service.HasExited)
        {
            try
            {
                peak = Math.Max(peak, service.Rss());
                await Task.Delay(100, ct);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
            }
        }

        return peak;
    }

    private static void Print(Phase quiet, Phase abused, Dictionary<string, long> attack, AbuseSettings settings)
    {
        static string Mark(bool pass) => pass ? "pass" : "**FAIL**";
        static string Ms(double ms) => ms.ToString(ms < 100 ? "F1" : "N0", CultureInfo.InvariantCulture);
        const long Gigabyte = 1L << 30;

        Console.WriteLine();
        Console.WriteLine($"Abuse scenario: the victim, quiet and under abuse ({settings.Phase.TotalSeconds:F0} s each; posts: POST /api/v1/event of one " +
                          "event; device page: GET /api/v1/endpoint/{id}/event; latencies of every request, failed ones included)");
        Console.WriteLine();
        Console.WriteLine("| victim | quiet | under abuse | target (under abuse) | |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, q, a) in new[] { ("posts", quiet.Posts, abused.Posts), ("device page", quiet.Pages, abused.Pages) })
        {
            Console.WriteLine($"| {name}: requests | {q.Count:N0} | {a.Count:N0} | | |");
            Console.WriteLine($"| {name}: success (2xx) | {q.SuccessPercent:F2} % | {a.SuccessPercent:F2} % | ≥ 99 % | {Mark(a.SuccessPercent >= 99)} |");
            Console.WriteLine($"| {name}: p50 ms | {Ms(q.P50)} | {Ms(a.P50)} | | |");
            Console.WriteLine($"| {name}: p99 ms | {Ms(q.P99)} | {Ms(a.P99)} ({a.P99 / Math.Max(q.P99, 0.001):F1} ×) | ≤ 3 × quiet ({Ms(3 * q.P99)}) | {Mark(a.P99 <= 3 * q.P99)} |");
            Console.WriteLine($"| {name}: other answers | {q.Failures} | {a.Failures} | | |");
        }

        Console.WriteLine($"| service peak RSS ({abused.RssSource}) | {quiet.PeakRss / 1048576.0:N0} MB | {abused.PeakRss / 1048576.0:N0} MB | ≤ 1 GB | {Mark(abused.PeakRss <= Gigabyte)} |");
        Console.WriteLine($"| load average (1 min) at the phase's end | {quiet.LoadAverage} | {abused.LoadAverage} | | |");

        Console.WriteLine();
        Console.WriteLine("What the service answered the attacker (\"no answer\": the client's 30 s timeout, a reset or a closed connection; \"open at the end\": still waiting when the attack stopped)");
        Console.WriteLine();
        Console.WriteLine("| attacker's load | answers |");
        Console.WriteLine("|---|---|");
        foreach (var group in attack.Where(kv => !kv.Key.StartsWith('#')).GroupBy(kv => kv.Key[..kv.Key.IndexOf(':', StringComparison.Ordinal)]).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var answers = string.Join(", ", group.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key[(group.Key.Length + 1)..].Trim()}: {kv.Value:N0}"));
            Console.WriteLine($"| {group.Key} | {answers} |");
        }

        foreach (var (key, value) in attack.Where(kv => kv.Key.StartsWith('#')).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Console.WriteLine($"{key[1..]}: {value:N0}");
        }
    }

    public sealed record Phase(Samples Posts, Samples Pages, long PeakRss, string RssSource, string LoadAverage);

    /// <summary>One closed loop's requests: each one's latency and status (0: no answer).</summary>
    public sealed class Samples
    {
        private readonly List<(double Ms, int Status)> all = [];

        public int Count => all.Count;

        public double SuccessPercent => all.Count == 0 ? 0 : 100.0 * all.Count(s => s.Status is >= 200 and < 300) / all.Count;

        public double P50 => Percentile(0.50);

        public double P99 => Percentile(0.99);

        /// <summary>The answers other than 2xx, by status.</summary>
        public string Failures
        {
            get
            {
                var failed = all.Where(s => s.Status is < 200 or >= 300).GroupBy(s => s.Status).OrderBy(g => g.Key)
                    .Select(g => $"{(g.Key == 0 ? "no answer" : g.Key.ToString(CultureInfo.InvariantCulture))}: {g.Count():N0}");
                return string.Join(", ", failed) is { Length: > 0 } text ? text : "none";
            }
        }

        public void Add(double ms, int status) => all.Add((ms, status));

        private double Percentile(double q)
        {
            if (all.Count == 0)
            {
                return 0;
            }

            var sorted = all.Select(s => s.Ms).Order().ToList();
            return sorted[Math.Clamp((int)Math.Ceiling(sorted.Count * q) - 1, 0, sorted.Count - 1)];
        }
    }

    /// <summary>The victim organisation's two clients, each one request at a time.</summary>
    internal sealed class Victim(HttpClient producer, HttpClient reader)
    {
        private long nextId = 7_000_000_000L;

        public async Task<(Samples Posts, Samples Pages)> RunAsync(TimeSpan duration, CancellationToken ct)
        {
            var posts = ClosedLoopAsync(duration, TimeSpan.Zero, async token =>
            {
                var id = Interlocked.Increment(ref nextId);
                var body = Encoding.UTF8.GetBytes(Event(id, DateTimeOffset.UtcNow.AddSeconds(-1), VictimOrganisation, PagedDevice + 1 + id % 100, 0));
                using var response = await producer.PostAsync("/api/v1/event", Json(body), token);
                await response.Content.CopyToAsync(Stream.Null, token);
                return (int)response.StatusCode;
            }, ct);
            var pages = ClosedLoopAsync(duration, ReaderInterval, async token =>
            {
                using var response = await reader.GetAsync($"/api/v1/endpoint/{PagedDevice}/event", HttpCompletionOption.ResponseContentRead, token);
                return (int)response.StatusCode;
            }, ct);
            return (await posts, await pages);
        }

        private static async Task<Samples> ClosedLoopAsync(TimeSpan duration, TimeSpan interval, Func<CancellationToken, Task<int>> request, CancellationToken ct)
        {
            var samples = new Samples();
            var stopwatch = Stopwatch.StartNew();
            while (stopwatch.Elapsed < duration && samples.Count < 1_000_000)
            {
                var started = Stopwatch.GetTimestamp();
                int status;
                try
                {
                    status = await request(ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    status = 0; // the client's timeout, a reset or a refused connection
                }

                var elapsed = Stopwatch.GetElapsedTime(started);
                samples.Add(elapsed.TotalMilliseconds, status);
                if (interval > elapsed)
                {
                    await Task.Delay(interval - elapsed, ct);
                }
            }

            return samples;
        }
    }
}
