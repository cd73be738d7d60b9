using System.Net;
using System.Net.Sockets;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL that a test can cut (every connection reset, new ones refused, as when
/// the server is down) and restore on the same port, without touching the server the other tests use.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint target;
    private readonly List<TcpClient> open = [];
    private TcpListener? listener;
    private CancellationTokenSource? running;

    public TcpProxy(IPEndPoint target)
    {
        this.target = target;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Start();
    }

    public int Port { get; }

    public void Start()
    {
        running = new CancellationTokenSource();
        listener = new TcpListener(IPAddress.Loopback, Port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        _ = AcceptAsync(listener, running.Token);
    }

    /// <summary>Resets every open connection and refuses new ones until <see cref="Start"/>.</summary>
    public void Cut()
    {
        running?.Cancel();
        listener?.Stop();
        lock (open)
        {
            foreach (var client in open)
            {
                try
                {
                    client.Client?.LingerState = new LingerOption(true, 0); // RST, not FIN
                }
                catch (ObjectDisposedException)
                {
                    // Its pipe closed it already.
                }

                client.Dispose();
            }

            open.Clear();
        }
    }

    private async Task AcceptAsync(TcpListener server, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await server.AcceptTcpClientAsync(ct);
            }
            catch (Exception) when (ct.IsCancellationRequested || !server.Server.IsBound)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            var outbound = new TcpClient();
            try
            {
                await outbound.ConnectAsync(target, ct);
            }
            catch (Exception)
            {
                inbound.Dispose();
                outbound.Dispose();
                continue;
            }

            lock (open)
            {
                open.Add(inbound);
                open.Add(outbound);
            }

            _ = PipeAsync(inbound, outbound, ct);
            _ = PipeAsync(outbound, inbound, ct);
        }
    }

    private static async Task PipeAsync(TcpClient from, TcpClient to, CancellationToken ct)
    {
        try
        {
            await from.GetStream().CopyToAsync(to.GetStream(), ct);
        }
        catch (Exception)
        {
            // A cut or a closed peer: the other direction notices too.
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        return ValueTask.CompletedTask;
    }
}
