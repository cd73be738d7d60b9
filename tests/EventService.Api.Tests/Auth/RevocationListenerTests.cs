using EventService.Api.Auth;
using EventService.Api.Storage;
using Npgsql;

namespace EventService.Api.Tests.Auth;

public sealed class RevocationListenerTests
{
    // The test cluster trusts every local connection, so a listener without the password would still connect there;
    // run.sh's PostgreSQL (SCRAM) refused it, and the credential cache stayed off. The data source's own connection
    // string drops the password, so the listener must start from the configured one.
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
