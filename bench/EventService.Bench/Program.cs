using EventService.Bench;

// Usage: dotnet run -c Release --project bench/EventService.Bench [-- ingest [--quick|--smoke] | purge [--rows N] | validation]
// ingest (the default): scenarios 1, 2 and 5 of the performance issue, each next to its reference in the same run.
// purge: one day's purge by the service's purger next to a plain DELETE.
// queries [--quick|--smoke]: scenario 3, list requests on 10 million events over 30 days loaded by binary COPY.
// validation: the CPU cost per event of parsing, validation and the detail's schema evaluation.
return args.FirstOrDefault() switch
{
    "purge" => await PurgeBenchmark.RunAsync(args[1..]),
    "validation" => ValidationCost.Run(),
    "queries" => await QueryBenchmark.RunAsync(args[1..]),
    "ingest" => await IngestBenchmark.RunAsync(args[1..]),
    null or "--quick" or "--smoke" => await IngestBenchmark.RunAsync(args),
    var other => Usage(other),
};

static int Usage(string unknown)
{
    Console.Error.WriteLine($"unknown command {unknown}: use ingest [--quick|--smoke], queries [--quick|--smoke], purge [--rows N] or validation");
    return 2;
}
