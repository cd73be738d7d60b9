namespace EventService.Api.Storage;

/// <summary>
/// A database call bounded in real time (the database's time, not the injected clock): when the limit fires first,
/// the call is cancelled and a <see cref="TimeoutException"/> is thrown, which answers 503 database-unavailable,
/// rather than the cancellation, which would read as the client leaving or the host stopping.
/// </summary>
public static class DatabaseTimeout
{
    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan limit, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            return await call(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} did not finish within {limit}.");
        }
    }
}
