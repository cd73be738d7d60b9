using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace EventService.Bench;

/// <summary>
/// The service as it runs in production: its Release build (or the bench's own configuration) started as a child
/// process with Production settings and logs at Warning, on a free loopback port; killed on dispose.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentDictionary<string, long> loggedByLevel = new(StringComparer.Ordinal);
    private long forwarded;
    private long forwardLines;

    private ServiceProcess(Process process, Uri address, string adminKey)
    {
        this.process = process;
        Address = address;
        AdminKey = adminKey;
    }

    public Uri Address { get; }

    public string AdminKey { get; }

    public int Pid => process.Id;

    /// <param name="rateLimits">Keep the service's own rate limits (the abuse scenario); the other scenarios turn them off.</param>
    /// <param name="forwardLines">How many of the service's log lines to copy to stderr; the rest are only counted.</param>
    public static async Task<ServiceProcess> StartAsync(string connectionString, CancellationToken ct, bool rateLimits = false, long forwardLines = long.MaxValue)
    {
        var root = RepositoryRoot();
        // The service built alongside this bench: Release under `dotnet run -c Release`; Debug for CI's smoke run.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var contentRoot = Path.Combine(root, "src", "EventService.Api", "bin", configuration, "net10.0");
        var dll = Path.Combine(contentRoot, "EventService.Api.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} is missing: run the bench with `dotnet run -c Release`, which builds it.");
        }

        if (configuration != "Release")
        {
            Console.Error.WriteLine($"note: measuring the {configuration} build of the service; figures need `dotnet run -c Release`");
        }

        var port = FreePort();
        var adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = contentRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { dll, "--contentRoot", contentRoot, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Events"] = connectionString;
        start.Environment["Admin__ApiKey"] = adminKey;
        start.Environment["Jwt__SigningKey"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        // The benchmark measures what the service can take, not its per-credential rate limits.
        if (!rateLimits)
        {
            start.Environment["RateLimits__Enabled"] = "false";
        }

        foreach (var (key, value) in Overrides())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var service = new ServiceProcess(process, new Uri($"http://127.0.0.1:{port}"), adminKey) { forwardLines = forwardLines };
        process.OutputDataReceived += (_, e) => service.Forward(e.Data);
        process.ErrorDataReceived += (_, e) => service.Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await service.WaitReadyAsync(ct);
        return service;
    }

    /// <summary>Service settings for an experiment, from EVENTSERVICE_BENCH_SET="Storage__GroupCommitWriters=2;...".</summary>
    private static IEnumerable<(string, string)> Overrides() =>
        (Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_SET") ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.Split('=', 2))
            .Where(kv => kv.Length == 2)
            .Select(kv => (kv[0], kv[1]));

    private void Forward(string? line)
    {
        if (string.IsNullOrEmpty(line))
        {
            return;
        }

        // Serilog's console lines start "[HH:mm:ss LVL]"; a stack trace's lines belong to the entry above them.
        var level = line.Length > 13 && line[0] == '[' && line[9] == ' ' ? line[10..13] : null;
        if (level is not null)
        {
            loggedByLevel.AddOrUpdate(level, 1, (_, n) => n + 1);
        }

        if (Interlocked.Increment(ref forwarded) <= forwardLines)
        {
            Console.Error.WriteLine($"  [service] {line}");
        }
    }

    /// <summary>The service's log entries so far by level ("ERR", "WRN"...), forwarded or not.</summary>
    public IReadOnlyDictionary<string, long> LoggedByLevel => loggedByLevel;

    private async Task WaitReadyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddMinutes(10); // migrations over a reused, large database take minutes
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the service exited with {process.ExitCode} before it was ready");
            }

            try
            {
                if ((await http.GetAsync("/health/ready", ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the service did not become ready within 10 minutes");
            }

            await Task.Delay(250, ct);
        }
    }

    /// <summary>A producer credential through the admin API that may post every source of any organisation.</summary>
    public async Task<string> CreateProducerAsync(CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = Address };
        http.DefaultRequestHeaders.Authorization = new("Bearer", AdminKey);
        var response = await http.PostAsJsonAsync("/api/v1/admin/producers", new { name = "bench", sources = new[] { 0, 1, 2 }, organisation_id = (long?)null }, ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!["token"]!.GetValue<string>();
    }

    /// <summary>The process's peak resident set (VmHWM) since start or the last <see cref="ResetPeak"/>, in bytes.</summary>
    public long PeakRss() => StatusBytes("VmHWM:");

    /// <summary>The process's resident set now (VmRSS), in bytes; 0 once it has exited.</summary>
    public long Rss() => process.HasExited ? 0 : StatusBytes("VmRSS:");

    public bool HasExited => process.HasExited;

    /// <summary>Resets the kernel's peak-RSS mark (needs root); returns false when it could not.</summary>
    public bool ResetPeak()
    {
        try
        {
            File.WriteAllText($"/proc/{process.Id}/clear_refs", "5");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>CPU time the process has used (user + system), from /proc/pid/stat.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // after "pid (comm) ": field 3 is fields[0]
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    private long StatusBytes(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                var kb = line[field.Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventService.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (EventService.sln) above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
