using System.Net;
using EventService.Api.Retention;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// A host of its own whose PostgreSQL sits behind a <see cref="TcpProxy"/>: cutting it makes every database call fail
/// at once, so a client can see whether a request needed the database (503) or not.
/// </summary>
public sealed class ProxiedDatabase : IAsyncDisposable
{
    private ProxiedDatabase(TcpProxy proxy, WebApplicationFactory<Program> factory)
    {
        Proxy = proxy;
        Factory = factory;
    }

    public TcpProxy Proxy { get; }

    public WebApplicationFactory<Program> Factory { get; }

    public static async Task<ProxiedDatabase> StartAsync(ApiFixture fixture, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var target = new NpgsqlConnectionStringBuilder(fixture.ConnectionString);
        var address = (await Dns.GetHostAddressesAsync(target.Host!)).First();
        var proxy = new TcpProxy(new IPEndPoint(address, target.Port));
        var throughProxy = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Host = "127.0.0.1", Port = proxy.Port };
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["ConnectionStrings:Events"] = throughProxy.ConnectionString,
            ["Retention:Enabled"] = "false",
        };
        var factory = fixture.CreateFactory(all);
        _ = factory.Server;
        await factory.Services.GetRequiredService<RetentionJob>().FirstRound;
        return new ProxiedDatabase(proxy, factory);
    }

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Proxy.DisposeAsync();
    }
}
