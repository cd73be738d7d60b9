using EventService.Api.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Auth;

/// <summary>
/// Listens for credential revocations from every instance and tells the <see cref="CredentialLookupCache"/>. Its own
/// unpooled connection, so it never takes a pool slot; while it is down the cache is off, and it reconnects.
/// </summary>
public sealed partial class RevocationListener(
    IConfiguration configuration,
    IOptions<StorageOptions> storage,
    CredentialLookupCache cache,
    ILogger<RevocationListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = ConnectionString(configuration.GetConnectionString(StorageExtensions.ConnectionStringName)!, storage.Value);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => cache.Revoked(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {CredentialLookupCache.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                cache.SetListening(true);
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLost(ex.Message);
            }
            finally
            {
                cache.SetListening(false);
            }

            try
            {
                // Reconnecting is about the network, not business time: real seconds.
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The listener's own connection string, unpooled, from the configured one as the data source is built from it:
    /// <see cref="NpgsqlDataSource.ConnectionString"/> leaves the password out, so a server that asks for one (run.sh's,
    /// any production one) would refuse the listener and leave the credential cache off for good.
    /// </summary>
    public static string ConnectionString(string configured, StorageOptions storage) =>
        new NpgsqlConnectionStringBuilder(StorageExtensions.WithTimeouts(configured, storage)) { Pooling = false, KeepAlive = 10 }.ConnectionString;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not hearing credential revocations ({Reason}); credentials are looked up on every request until it reconnects")]
    private partial void LogLost(string reason);
}
