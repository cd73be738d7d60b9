using EventService.Api.Auth;
using EventService.Api.Storage;
using Npgsql;

namespace EventService.Api.Tests.Auth;

public sealed class RevocationListenerTests
{
    // The data source's own connection string drops the password, so a listener started from it is refused by any
    // server that asks for one (run.sh's, production's, and the test cluster's, which needs SCRAM over TCP), and the
    // credential cache stays off. The listener must start from the configured connection string.
    [Fact]
    public void The_listener_connects_with_the_configured_password_on_a_connection_of_its_own()
    {
        const string configured = "Host=127.0.0.1;Port=5432;Database=events;Username=eventservice;Password=s3cret-Pa55";
        using var dataSource = NpgsqlDataSource.Create(configured);
        Assert.Null(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Password); // why it matters

        var listener = new NpgsqlConnectionStringBuilder(RevocationListener.ConnectionString(configured, new StorageOptions()));

        Assert.Equal("s3cret-Pa55", listener.Password);
        Assert.Equal("eventservice", listener.Username);
        Assert.False(listener.Pooling);
        Assert.Equal(10, listener.KeepAlive);
        Assert.Equal(3, listener.Timeout); // the configured connect timeout, as the data source has it
    }
}
