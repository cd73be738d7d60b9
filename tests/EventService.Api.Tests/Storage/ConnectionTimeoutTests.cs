using EventService.Api.Storage;
using Npgsql;

namespace EventService.Api.Tests.Storage;

/// <summary>The connection string the service opens: a pure function, tested without a database.</summary>
public sealed class ConnectionTimeoutTests
{
    [Theory]
    [InlineData("Host=db;Database=events", 3, 30)]
    [InlineData("Host=db;Database=events;Timeout=20", 20, 30)]
    [InlineData("Host=db;Database=events;Command Timeout=7", 3, 7)]
    [InlineData("Host=db;Database=events;timeout=9;commandtimeout=8", 9, 8)]
    public void The_connection_string_gets_short_timeouts_where_it_sets_none(string connectionString, int timeout, int commandTimeout)
    {
        var result = new NpgsqlConnectionStringBuilder(StorageExtensions.WithTimeouts(connectionString, new StorageOptions()));

        Assert.Equal(timeout, result.Timeout);
        Assert.Equal(commandTimeout, result.CommandTimeout);
        Assert.Equal("db", result.Host);
    }
}
