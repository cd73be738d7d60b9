using EventService.Bench;

// Usage: dotnet run -c Release --project bench/EventService.Bench [-- [all|ingest|queries|purge|abuse|read-abuse] [--quick|--smoke]]
// all (the default): every scenario of the performance issue, one after the other, each on a PostgreSQL of its own
//   and next to its reference measured in the same run; --quick for a shorter run, --smoke for CI's.
// ingest: scenarios 1, 2 and 5 (bulk and single-event ingest, the service's peak RSS).
// queries: scenario 3, list requests on 10 million events over 30 days loaded by binary COPY, after an EXPLAIN check of
//   every list kind's plans (auto_explain; reported, not asserted; skipped with EVENTSERVICE_BENCH_DB).
// purge [--rows N]: scenario 4, one day's purge by the service's purger next to a plain DELETE.
// validation: the CPU cost per event of parsing, validation and the detail's schema evaluation.
// list-json: the CPU cost of writing a page of 100 events' JSON, next to the writer before stored JSON was copied.
// abuse [--seconds N] [--attacks slow,big,flood] (or --abuse): one organisation's producer and reader, quiet and while another
//   organisation attacks ingest; the targets are reported, not asserted (only a crashed service fails it).
// read-abuse [--seconds N] [--events N] [--attacks deep,sort,substring,issue]: the same victim on 300,000 events loaded by COPY,
//   quiet and while the organisation holding most of them floods deep pages, unindexed sorts and substring filters at 32
//   connections, one attack per phase; reported, not asserted.
var command = args.FirstOrDefault() is { } first && !first.StartsWith("--", StringComparison.Ordinal) ? first : "all";
var options = args.FirstOrDefault() == command ? args[1..] : args;
if (command == "all" && options.Contains("--abuse"))
{
    (command, options) = ("abuse", options.Where(o => o != "--abuse").ToArray());
}

return command switch
{
    "all" => await AllAsync(options),
    "ingest" => await IngestBenchmark.RunAsync(options),
    "queries" => await QueryBenchmark.RunAsync(options),
    "purge" => await PurgeBenchmark.RunAsync(options),
    "abuse" => await AbuseBenchmark.RunAsync(options),
    "abuse-attacker" => await AbuseAttacker.RunAsync(options), // the abuse scenario's child process
    "read-abuse" => await ReadAbuseBenchmark.RunAsync(options),
    "read-abuse-attacker" => await ReadAbuseAttacker.RunAsync(options), // the read abuse scenario's child process
    "validation" => ValidationCost.Run(),
    "list-json" => ListJsonCost.Run(),
    _ => Usage(command),
};

static async Task<int> AllAsync(string[] options)
{
    foreach (var scenario in new Func<string[], Task<int>>[] { IngestBenchmark.RunAsync, QueryBenchmark.RunAsync, PurgeBenchmark.RunAsync, AbuseBenchmark.RunAsync, ReadAbuseBenchmark.RunAsync })
    {
        var exit = await scenario(options);
        if (exit != 0)
        {
            return exit;
        }

        Console.WriteLine();
    }

    return 0;
}

static int Usage(string unknown)
{
    Console.Error.WriteLine($"unknown command {unknown}: use all, ingest, queries, purge, abuse or read-abuse [--quick|--smoke], purge --rows N, abuse --seconds N, read-abuse --seconds N, validation or list-json");
    return 2;
}
