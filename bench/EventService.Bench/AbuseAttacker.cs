using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace EventService.Bench;

/// <summary>
/// The abuse scenario's attacker: this bench's own executable started again as a child process
/// (<c>abuse-attacker</c>), so that its connections do not share the victim's thread pool. It attacks for a fixed
/// time from 127.0.0.2 and prints what the service answered as one line <c>ATTACK {json}</c>; the parent kills it on
/// dispose should it not have ended by then, and it ends by itself at its deadline should the parent die.
/// </summary>
public sealed class AbuseAttacker : IAsyncDisposable
{
    public const int SlowBytesPerSecond = 480; // twice Kestrel's default minimum body rate (240 B/s after a 5 s grace): kept open today
    public const int BlobStrings = 600;
    public const int BlobStringLength = 4096; // IngestionOptions.MaxStringLength's default: each string alone is allowed
    public const int BigEventBytes = BlobStrings * (BlobStringLength + 3) + 1200;
    private const int SlowChunk = SlowBytesPerSecond / 4;

    private readonly Process process;
    private readonly Task<string> output;

    private AbuseAttacker(Process process)
    {
        this.process = process;
        output = process.StandardOutput.ReadToEndAsync();
    }

    public static AbuseAttacker Start(Uri service, string token, AbuseSettings settings, TimeSpan duration) =>
        StartChild(token, "abuse-attacker", service.ToString(), ((int)Math.Ceiling(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            settings.SlowBodies.ToString(CultureInfo.InvariantCulture), settings.BigPosters.ToString(CultureInfo.InvariantCulture),
            settings.Flood.ToString(CultureInfo.InvariantCulture));

    /// <summary>This executable again with <paramref name="arguments"/> (its command first), the attacker's token in its environment.</summary>
    public static AbuseAttacker StartChild(string token, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(AbuseAttacker).Assembly.Location);
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["EVENTSERVICE_BENCH_ATTACKER_TOKEN"] = token; // not on the command line
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrEmpty(e.Data))
            {
                Console.Error.WriteLine($"  [attacker] {e.Data}");
            }
        };
        process.BeginErrorReadLine();
        return new AbuseAttacker(process);
    }

    /// <summary>Completes when the attacker has exited, or after <paramref name="timeout"/> (when it is killed).</summary>
    public async Task ExitedAsync(TimeSpan timeout)
    {
        using var wait = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("  the attacker did not end by its deadline: killed");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>What the attacker counted; throws when it ended without its result line.</summary>
    public async Task<Dictionary<string, long>> CountsAsync() => await ResultAsync<Dictionary<string, long>>();

    /// <summary>The child's result line <c>ATTACK {json}</c> as a <typeparamref name="T"/>; throws when it ended without one.</summary>
    public async Task<T> ResultAsync<T>()
    {
        var text = await output.WaitAsync(TimeSpan.FromSeconds(10)); // its stdout closes as it exits
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("ATTACK ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"the attacker exited with {(process.HasExited ? process.ExitCode : -1)} and no result: {text}");
        return JsonSerializer.Deserialize<T>(line["ATTACK ".Length..])!;
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

    /// <summary>The child's entry: abuse-attacker &lt;service&gt; &lt;seconds&gt; &lt;slow bodies&gt; &lt;big posters&gt; &lt;flood connections&gt;.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var service = new Uri(args[0]);
        var seconds = int.Parse(args[1], CultureInfo.InvariantCulture);
        var slow = int.Parse(args[2], CultureInfo.InvariantCulture);
        var big = int.Parse(args[3], CultureInfo.InvariantCulture);
        var flood = int.Parse(args[4], CultureInfo.InvariantCulture);
        var token = Environment.GetEnvironmentVariable("EVENTSERVICE_BENCH_ATTACKER_TOKEN") ?? throw new InvalidOperationException("no attacker token");
        if (seconds is < 1 or > 300 || slow is < 0 or > 1000 || big is < 0 or > 64 || flood is < 0 or > 1024)
        {
            throw new ArgumentException("the attack is bounded: at most 300 s, 1000 slow bodies, 64 big posters, 1024 flood connections");
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var ct = deadline.Token;
        var counts = new ConcurrentDictionary<string, long>();
        void Count(string key, long by = 1) => counts.AddOrUpdate(key, by, (_, v) => v + by);

        var bigBody = BigEvent(DateTimeOffset.UtcNow);
        var smallBody = Encoding.UTF8.GetBytes(AbuseBenchmark.Event(null, DateTimeOffset.UtcNow, AbuseBenchmark.AttackerOrganisation, AbuseBenchmark.AttackerOrganisation * 10_000, 2));
        Count("#2.5 MB event's size in bytes", bigBody.Length);

        using var bigHttp = AbuseBenchmark.BoundClient(service, AbuseBenchmark.AttackerAddress, big + 1, TimeSpan.FromSeconds(30));
        bigHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var floodHttp = AbuseBenchmark.BoundClient(service, AbuseBenchmark.AttackerAddress, Math.Max(1, flood), TimeSpan.FromSeconds(30));

        var tasks = new List<Task>();
        tasks.AddRange(Enumerable.Range(0, slow).Select(_ => Task.Run(() => SlowBodyAsync(service, token, Count, ct))));
        tasks.AddRange(Enumerable.Range(0, big).Select(_ => Task.Run(() => LoopAsync("2.5 MB events", Count, async t =>
        {
            using var response = await bigHttp.PostAsync("/api/v1/event", AbuseBenchmark.Json(bigBody), t);
            await response.Content.CopyToAsync(Stream.Null, t);
            return response.StatusCode;
        }, ct))));
        if (big > 0)
        {
            tasks.Add(Task.Run(() => LoopAsync("list per_page=1000", Count, async t =>
            {
                using var response = await bigHttp.GetAsync("/api/v1/event?per_page=1000", HttpCompletionOption.ResponseHeadersRead, t);
                await using var body = await response.Content.ReadAsStreamAsync(t);
                var buffer = new byte[81920];
                int read;
                while ((read = await body.ReadAsync(buffer, t)) > 0)
                {
                    Count("#bytes listed", read);
                }

                return response.StatusCode;
            }, ct)));
        }

        tasks.AddRange(Enumerable.Range(0, flood).Select(i => Task.Run(() => i % 2 == 0
            ? LoopAsync("anonymous /health/ready", Count, async t =>
            {
                using var response = await floodHttp.GetAsync("/health/ready", t);
                return response.StatusCode;
            }, ct)
            : LoopAsync("unknown esp_ tokens (POST /api/v1/event)", Count, async t =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event") { Content = AbuseBenchmark.Json(smallBody) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "esp_" + Base64Url(RandomNumberGenerator.GetBytes(32)));
                using var response = await floodHttp.SendAsync(request, t);
                return response.StatusCode;
            }, ct))));

        // Every loop ends at the deadline; one stuck in a read gets 5 s more, then the process ends with it.
        await Task.WhenAny(Task.WhenAll(tasks), Task.Delay(TimeSpan.FromSeconds(seconds + 5), CancellationToken.None));
        Console.WriteLine("ATTACK " + JsonSerializer.Serialize(new SortedDictionary<string, long>(counts, StringComparer.Ordinal)));
        return 0;
    }

    /// <summary>The attacker's event: an ordinary one whose endpoint carries an extra array of 600 random 4 KB strings.</summary>
    public static byte[] BigEvent(DateTimeOffset timestamp)
    {
        var random = new Random(13);
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var blob = new StringBuilder(",\"notes\":[", BigEventBytes);
        for (var i = 0; i < BlobStrings; i++)
        {
            blob.Append(i == 0 ? "\"" : ",\"");
            for (var c = 0; c < BlobStringLength; c++)
            {
                blob.Append(Alphabet[random.Next(Alphabet.Length)]);
            }

            blob.Append('"');
        }

        var organisation = AbuseBenchmark.AttackerOrganisation;
        return Encoding.UTF8.GetBytes(AbuseBenchmark.Event(null, timestamp, organisation, organisation * 10_000, 2, blob.Append(']').ToString()));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>One connection's requests one after the other until the deadline, counted by status.</summary>
    private static async Task LoopAsync(string load, Action<string, long> count, Func<CancellationToken, Task<HttpStatusCode>> request, CancellationToken ct)
    {
        for (var i = 0; i < 10_000_000 && !ct.IsCancellationRequested; i++)
        {
            try
            {
                count($"{load}: {(int)await request(ct)}", 1);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                count($"{load}: open at the end", 1);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
            {
                count($"{load}: no answer", 1);
                await Task.Delay(100, CancellationToken.None); // a refused connection is not retried in a tight loop
            }
        }
    }

    /// <summary>
    /// POSTs declaring a 10 MB body with the attacker's valid token and sends <see cref="SlowBytesPerSecond"/> of it;
    /// when the service answers or closes, the next one connects.
    /// </summary>
    private static async Task SlowBodyAsync(Uri service, string token, Action<string, long> count, CancellationToken ct)
    {
        const string Load = "slow bodies";
        var header = Encoding.ASCII.GetBytes(
            $"POST /api/v1/event HTTP/1.1\r\nHost: {service.Authority}\r\nAuthorization: Bearer {token}\r\n" +
            "Content-Type: application/json\r\nContent-Length: 10485760\r\n\r\n[");
        var chunk = Encoding.ASCII.GetBytes(new string(' ', SlowChunk)); // whitespace: the array never gets its first event
        for (var attempt = 0; attempt < 10_000 && !ct.IsCancellationRequested; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(AbuseBenchmark.AttackerAddress, 0));
                await socket.ConnectAsync(IPAddress.Parse(service.Host), service.Port, ct);
                count($"{Load}: connections", 1);
                await socket.SendAsync(header, ct);
                var answer = StatusLineAsync(socket, ct);
                while (!answer.IsCompleted)
                {
                    await Task.WhenAny(answer, Task.Delay(250, ct));
                    if (!answer.IsCompleted)
                    {
                        await socket.SendAsync(chunk, ct);
                        count("#slow bodies' bytes sent", chunk.Length);
                    }
                }

                count($"{Load}: {await answer}", 1);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                count($"{Load}: open at the end", 1);
                return;
            }
            catch (SocketException)
            {
                count($"{Load}: reset", 1);
            }

            await Task.Delay(250, CancellationToken.None); // then the next slow body
        }
    }

    /// <summary>The status of the service's answer ("408"), "closed" when it closed without one, "reset" on an error.</summary>
    private static async Task<string> StatusLineAsync(Socket socket, CancellationToken ct)
    {
        var buffer = new byte[1024];
        var length = 0;
        try
        {
            while (length < buffer.Length)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
                if (read == 0)
                {
                    return length == 0 ? "closed" : "closed mid-answer";
                }

                length += read;
                var text = Encoding.ASCII.GetString(buffer, 0, length);
                if (text.IndexOf("\r\n", StringComparison.Ordinal) is var end and > 0)
                {
                    var parts = text[..end].Split(' ');
                    return parts.Length > 1 ? parts[1] : text[..end];
                }
            }

            return "unreadable answer";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return "reset";
        }
    }
}
