using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

public sealed class PostgresServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Starts_a_PostgreSQL_15_or_later_that_accepts_connections()
    {
        var clock = Stopwatch.StartNew();
        await using var server = await PostgresServer.StartAsync();
        output.WriteLine($"PostgreSQL from {server.Origin}, ready in {clock.ElapsedMilliseconds} ms");

        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_setting('server_version_num')::int >= 150000", connection);
        var isRecentEnough = (bool?)await command.ExecuteScalarAsync();

        Assert.True(isRecentEnough, $"PostgreSQL from {server.Origin} is older than 15");
    }
}
