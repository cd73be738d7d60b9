using System.Globalization;
using Npgsql;

namespace EventService.Bench;

/// <summary>One of the read attacks: the list requests (under /api/v1/event) one organisation floods with.</summary>
public sealed record ReadAttack(string Name, string Title, string[] Queries);

/// <param name="Events">How many events are loaded by COPY before the phases, the attacker's organisation holding most.</param>
/// <param name="Phase">How long the victim's load runs in each phase.</param>
/// <param name="Ramp">How long each attack runs before the victim's phase starts.</param>
public sealed record ReadAbuseSettings(string Mode, int Events, TimeSpan Phase, TimeSpan Ramp, TimeSpan WarmUp, int Connections, IReadOnlyList<string> Attacks)
{
    public static readonly string[] AttackNames = ["deep", "sort", "substring", "issue"];

    public static ReadAbuseSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new ReadAbuseSettings("full", 300_000, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5), 32, AttackNames);
        for (var i = 0; i < args.Count; i++)
        {
            settings = args[i] switch
            {
                "--smoke" => settings with { Mode = "smoke", Events = 50_000, Phase = TimeSpan.FromSeconds(4), Ramp = TimeSpan.FromSeconds(1), WarmUp = TimeSpan.FromSeconds(1), Attacks = ["issue"] },
                "--quick" => settings with { Mode = "quick", Phase = TimeSpan.FromSeconds(8), Ramp = TimeSpan.FromSeconds(2), WarmUp = TimeSpan.FromSeconds(3) },
                "--attacks" when i + 1 < args.Count && args[i + 1].Split(',') is var names && names.All(AttackNames.Contains) => settings with { Attacks = names },
                "--seconds" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s) && s is >= 1 and <= 120 =>
                    settings with { Phase = TimeSpan.FromSeconds(s) },
                "--events" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n is >= 10_000 and <= 20_000_000 =>
                    settings with { Events = n },
                _ => throw new ArgumentException($"unknown option {args[i]}: use --quick or --smoke, or nothing for the full run; --seconds N (1 to 120) sets the " +
                                                 $"phase, --events N (10,000 to 20,000,000) the table, --attacks {string.Join(',', AttackNames)} picks the attacks (after the mode)"),
            };
            i += args[i] is "--seconds" or "--attacks" or "--events" ? 1 : 0;
        }

        return settings;
    }
}

/// <summary>
/// The read abuse scenario of the reads issue: on a table loaded by COPY (the issue measured 300,000 events; the
/// attacker's organisation holds about 90 % of them), another organisation's producer posts single events and its
/// reader pages a device, one request at a time each, first on a quiet service and then while the attacker's
/// organisation floods list requests at 32 connections, one attack per phase: deep pages, unindexed sorts, substring
/// filters, and the issue's own pair (a deep page of 1000 sorted by tags next to a description substring). The
/// victim's success rate and p99 in every phase side by side with the targets (≥ 99 % success, p99 ≤ 3 × quiet)
/// marked met or missed, and what the attacker was answered (200, 422, 429, 503, other) — reported, never asserted:
/// only a crashed service fails the run. 422, 429 and 503 are the answers the issue's read bounds give; the attacker
/// counts them and goes on. The attacker runs in a child process (<see cref="ReadAbuseAttacker"/>) from another
/// loopback address, as the ingest abuse scenario's does; the service runs with its rate limits at their defaults.
/// Usage: dotnet run -c Release --project bench/EventService.Bench -- read-abuse [--quick|--smoke] [--seconds N] [--attacks deep,sort,substring,issue]
/// </summary>
public static class ReadAbuseBenchmark
{
    private const int ForwardedLogLines = 40;
    private const int AttackerPercent = 90;
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var settings = ReadAbuseSettings.Parse(args);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(settings.Mode == "smoke" ? 4 : 15)); // the whole run is bounded
        var ct = stop.Token;
        var now = DateTimeOffset.UtcNow;
        var attackerOrganisation = EventGenerator.BigOrganisation;

        await using var database = await BenchDatabase.OpenAsync(ct);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var service = await ServiceProcess.StartAsync(database.ConnectionString, ct, rateLimits: true, forwardLines: ForwardedLogLines);
        var loaded = await QueryBenchmark.LoadAsync(dataSource, settings.Events, now - TimeSpan.FromDays(30) + TimeSpan.FromHours(1), now - TimeSpan.FromHours(1), ct,
            AttackerPercent);
        var attacker = await QueryBenchmark.TokenAsync(service, attackerOrganisation, ct);
        var victimReader = await QueryBenchmark.TokenAsync(service, AbuseBenchmark.VictimOrganisation, ct);
        var victimProducer = await AbuseBenchmark.ProducerAsync(service, AbuseBenchmark.VictimOrganisation, ct);
        long attackerEvents;
        await using (var count = dataSource.CreateCommand("SELECT count(*) FROM events WHERE organisation_id = @org"))
        {
            count.Parameters.AddWithValue("org", attackerOrganisation);
            attackerEvents = (long)(await count.ExecuteScalarAsync(ct))!;
        }

        var middle = Math.Max(1, attackerEvents / 100 / 2);
        var attacks = Attacks(middle).Where(a => settings.Attacks.Contains(a.Name)).ToList();

        Console.WriteLine(await BenchDatabase.HeaderAsync("read abuse", settings.Mode, now, dataSource, ct));
        Console.WriteLine($"data: {loaded}; organisation {attackerOrganisation} (the attacker) holds {attackerEvents:N0} of them");
        Console.WriteLine($"victim: organisation {AbuseBenchmark.VictimOrganisation} from {AbuseBenchmark.VictimAddress}, its producer posting single events one at a " +
                          $"time and its reader paging device {AbuseBenchmark.PagedDevice} (500 events, first page of 100, at most one request per " +
                          $"{AbuseBenchmark.ReaderInterval.TotalMilliseconds:F0} ms); {settings.Phase.TotalSeconds:F0} s per phase; service rate limits at their " +
                          $"defaults; service settings: {Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_SET") ?? "defaults"}");
        Console.WriteLine($"attacker: organisation {attackerOrganisation} from {AbuseBenchmark.AttackerAddress}, {settings.Connections} connections each sending the " +
                          $"attack's requests in turn, one at a time, for {settings.Ramp.TotalSeconds:F0} s before and during the victim's phase (.NET HttpClient " +
                          "in a child process, 30 s timeout, every answer read to its end):");
        foreach (var attack in attacks)
        {
            Console.WriteLine($"  {attack.Title}: {string.Join("  ", attack.Queries.Select(q => "GET /api/v1/event?" + q))}");
        }

        using var producer = AbuseBenchmark.VictimClient(service.Address, victimProducer);
        using var reader = AbuseBenchmark.VictimClient(service.Address, victimReader);
        var victim = new AbuseBenchmark.Victim(producer, reader);
        await AbuseBenchmark.SeedAsync(producer, 500, ct);
        await victim.RunAsync(settings.WarmUp, ct); // JIT, pools and caches

        var quiet = await AbuseBenchmark.MeasureAsync(service, victim, settings.Phase, ct);
        Console.Error.WriteLine($"  quiet phase: {quiet.Posts.Count} posts, {quiet.Pages.Count} pages");
        var phases = new List<(ReadAttack Attack, AbuseBenchmark.Phase Victim, ReadAttackResult Attacker, string Settled)>();
        foreach (var attack in attacks)
        {
            var attackFor = settings.Ramp + settings.Phase + TimeSpan.FromSeconds(1);
            AbuseBenchmark.Phase abused;
            ReadAttackResult result;
            await using (var child = AbuseAttacker.StartChild(attacker, ["read-abuse-attacker", service.Address.ToString(),
                             ((int)Math.Ceiling(attackFor.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
                             settings.Connections.ToString(CultureInfo.InvariantCulture), .. attack.Queries.Select(q => "/api/v1/event?" + q)]))
            {
                abused = await AbuseBenchmark.MeasureAsync(service, victim, settings.Phase, ct, settings.Ramp, child.ExitedAsync(attackFor + TimeSpan.FromSeconds(15)));
                result = await child.ResultAsync<ReadAttackResult>();
            }

            var settled = await SettleAsync(dataSource, ct);
            Console.Error.WriteLine($"  {attack.Name} phase: {abused.Posts.Count} posts, {abused.Pages.Count} pages, attacker {result.All.Requests} requests; {settled}");
            phases.Add((attack, abused, result, settled));
            if (service.HasExited)
            {
                break;
            }
        }

        Print(quiet, phases, settings);
        return AbuseBenchmark.Finish(service, ForwardedLogLines);
    }

    private static List<ReadAttack> Attacks(long middle) =>
    [
        new("deep", "deep pages", ["page=2147483647&per_page=1000", $"page={middle.ToString(CultureInfo.InvariantCulture)}"]),
        new("sort", "unindexed sorts", ["sort=-tags", "sort=-iccid", "sort=endpoint"]),
        new("substring", "substring filters", ["q=description:zz,alert:true", "q=description:xyz", "q=tags:abc"]),
        new("issue", "the issue's pair", ["page=2147483647&per_page=1000&sort=-tags", "q=description:zz,alert:true"]),
    ];

    /// <summary>
    /// Waits (at most <see cref="SettleLimit"/>) until PostgreSQL runs no statement but this one: a statement whose
    /// client has gone may run on, and the next phase should not inherit it. Says how long it waited.
    /// </summary>
    private static async Task<string> SettleAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        long active;
        do
        {
            await using var command = dataSource.CreateCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
            active = (long)(await command.ExecuteScalarAsync(ct))!;
            if (active > 0)
            {
                await Task.Delay(250, ct);
            }
        }
        while (active > 0 && DateTime.UtcNow - started < SettleLimit);

        var waited = (DateTime.UtcNow - started).TotalSeconds;
        return active > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{active} statements still active after {waited:F0} s")
            : string.Create(CultureInfo.InvariantCulture, $"PostgreSQL idle after {waited:F1} s");
    }

    private static void Print(AbuseBenchmark.Phase quiet, List<(ReadAttack Attack, AbuseBenchmark.Phase Victim, ReadAttackResult Attacker, string Settled)> phases,
        ReadAbuseSettings settings)
    {
        static string Ms(double ms) => ms.ToString(ms < 100 ? "F1" : "N0", CultureInfo.InvariantCulture);
        static string Mark(bool met) => met ? "met" : "**missed**";
        string Row(string name, string quietCell, Func<(ReadAttack Attack, AbuseBenchmark.Phase Victim, ReadAttackResult Attacker, string Settled), string> cell, string target = "") =>
            $"| {name} | {quietCell} | {string.Join(" | ", phases.Select(cell))} | {target} |";

        Console.WriteLine();
        Console.WriteLine($"Read abuse scenario: the victim quiet and while one organisation floods list requests at {settings.Connections} connections " +
                          $"({settings.Phase.TotalSeconds:F0} s each; posts: POST /api/v1/event of one event; device page: GET /api/v1/endpoint/{{id}}/event; " +
                          "latencies of every request, failed ones included; targets reported, not asserted)");
        Console.WriteLine();
        Console.WriteLine($"| | quiet | {string.Join(" | ", phases.Select(p => p.Attack.Title))} | target (under attack) |");
        Console.WriteLine($"|---|---|{string.Concat(phases.Select(_ => "---|"))}---|");
        foreach (var (name, pick) in new (string, Func<AbuseBenchmark.Phase, AbuseBenchmark.Samples>)[] { ("victim posts", p => p.Posts), ("victim device page", p => p.Pages) })
        {
            var q = pick(quiet);
            Console.WriteLine(Row($"{name}: requests done", q.Count.ToString("N0", CultureInfo.InvariantCulture), p => pick(p.Victim).Count.ToString("N0", CultureInfo.InvariantCulture)));
            Console.WriteLine(Row($"{name}: success (2xx)", $"{q.SuccessPercent:F2} %",
                p => $"{pick(p.Victim).SuccessPercent:F2} % {Mark(pick(p.Victim).SuccessPercent >= 99)}", "≥ 99 %"));
            Console.WriteLine(Row($"{name}: p99 ms", Ms(q.P99),
                p => $"{Ms(pick(p.Victim).P99)} ({pick(p.Victim).P99 / Math.Max(q.P99, 0.001):F1} ×) {Mark(pick(p.Victim).P99 <= 3 * q.P99)}", $"≤ 3 × quiet ({Ms(3 * q.P99)})"));
            Console.WriteLine(Row($"{name}: other answers", q.Failures, p => pick(p.Victim).Failures));
        }

        Console.WriteLine(Row("attacker: requests answered (still open at the end)", "", p => Answered(p.Attacker.All)));
        Console.WriteLine(Row("attacker: 200 / 422 / 429 / 503 / other", "", p => Statuses(p.Attacker.All)));
        Console.WriteLine(Row("attacker: p99 ms (answered ones)", "", p => Ms(p.Attacker.All.P99Ms)));
        Console.WriteLine(Row("service peak RSS MB", (quiet.PeakRss / 1048576.0).ToString("N0", CultureInfo.InvariantCulture),
            p => (p.Victim.PeakRss / 1048576.0).ToString("N0", CultureInfo.InvariantCulture)));
        Console.WriteLine(Row("load average (1 min) at the phase's end", quiet.LoadAverage, p => p.Victim.LoadAverage));
        Console.WriteLine(Row("after the phase", "", p => p.Settled));

        Console.WriteLine();
        Console.WriteLine("The attacker's answers by request (\"other\": any other status, the client's 30 s timeout, a reset or a refused connection; " +
                          "\"still open\": waiting for its answer when the attack ended)");
        Console.WriteLine();
        Console.WriteLine("| attack | request | answered (still open at the end) | 200 / 422 / 429 / 503 / other | p99 ms (answered ones) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (attack, _, result, _) in phases)
        {
            foreach (var (url, figures) in result.ByUrl)
            {
                var others = figures.Statuses.Where(kv => kv.Key is not ("200" or "422" or "429" or "503")).Select(kv => $"{kv.Key}: {kv.Value:N0}");
                Console.WriteLine($"| {attack.Title} | `{url}` | {Answered(figures)} | {Statuses(figures)}{(figures.Other > 0 ? $" ({string.Join(", ", others)})" : "")} | {Ms(figures.P99Ms)} |");
            }
        }
    }

    private static string Answered(ReadAttackFigures f) =>
        string.Create(CultureInfo.InvariantCulture, $"{f.Requests:N0} ({f.OpenAtEnd:N0})");

    private static string Statuses(ReadAttackFigures f) =>
        string.Create(CultureInfo.InvariantCulture, $"{f.Count("200"):N0} / {f.Count("422"):N0} / {f.Count("429"):N0} / {f.Count("503"):N0} / {f.Other:N0}");
}
