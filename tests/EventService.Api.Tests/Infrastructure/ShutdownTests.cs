using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>The built service as a real process on a loopback port, stopped with SIGTERM while a request is in flight.</summary>
public sealed class ShutdownTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    private readonly ITestOutputHelper log = output;

    // Set when the service logs ASP.NET Core's "Request starting ... POST" line: it has read the post's headers.
    private readonly TaskCompletionSource postStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LinuxFact]
    public async Task On_sigterm_the_request_in_flight_finishes_new_connections_are_refused_and_the_process_exits_cleanly()
    {
        var token = await CreateProducerAsync();
        var port = FreePort();
        using var service = StartService(port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        await WaitUntilReadyAsync(http, service);

        var body = Encoding.UTF8.GetBytes(ValidEvent().ToJsonString());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/event") { Content = new GatedContent(body, 10, gate.Task) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var inFlight = http.SendAsync(request);
        // The headers and the first bytes are out: SIGTERM only once the service has the request in hand.
        await postStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));

        using (var kill = Process.Start("kill", ["-TERM", service.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        var refused = Stopwatch.StartNew();
        while (await AcceptsAsync(port))
        {
            Assert.True(refused.Elapsed < TimeSpan.FromSeconds(10), "still accepting connections after SIGTERM");
            await Task.Delay(50);
        }

        gate.SetResult();
        var response = await inFlight;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await service.WaitForExitAsync(exit.Token);
        Assert.Equal(0, service.ExitCode);
        Assert.Equal(1, await CountEventsAsync());
    }

    private Process StartService(int port)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "EventService.Api.dll")])
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["ConnectionStrings__Events"] = Fixture.ConnectionString;
        start.Environment["Admin__ApiKey"] = Fixture.AdminKey;
        start.Environment["Jwt__SigningKey"] = Fixture.JwtSigningKey;
        start.Environment["Retention__Enabled"] = "false";
        // The real clock: the event's timestamp must lie inside its acceptance window.
        start.Environment["Ingestion__MaxFutureSkew"] = "1.00:00:00";
        // The "Request starting" line that tells the test the post is in flight.
        start.Environment["Serilog__MinimumLevel__Override__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            if (line.Contains("Request starting", StringComparison.Ordinal) && line.Contains("POST", StringComparison.Ordinal))
            {
                postStarted.TrySetResult();
            }

            try
            {
                log.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished.
            }
        }
    }

    private static async Task WaitUntilReadyAsync(HttpClient http, Process service)
    {
        var started = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(service.HasExited, "the service exited during startup");
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(60), "the service did not become ready");
            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Sends the first bytes of the body, then waits for the gate before sending the rest.</summary>
    private sealed class GatedContent : HttpContent
    {
        private readonly byte[] body;
        private readonly int first;
        private readonly Task gate;

        public GatedContent(byte[] body, int first, Task gate)
        {
            this.body = body;
            this.first = first;
            this.gate = gate;
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, first));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(body.AsMemory(first));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
