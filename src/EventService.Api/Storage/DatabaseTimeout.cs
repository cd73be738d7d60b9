namespace EventService.Api.Storage;

/// <summary>
/// A database call bounded in real time (the database's time, not the injected clock). At the limit the call is
/// cancelled; should it still not return (Npgsql sends PostgreSQL a cancel request and waits for it, which a frozen
/// server never answers) the caller stops waiting <see cref="CancellationGrace"/> later and leaves the call to end
/// by itself. Either way the caller gets a <see cref="TimeoutException"/>, which answers 503 database-unavailable,
/// rather than the cancellation, which would read as the client leaving or the host stopping. A write given up on
/// this way may still commit when PostgreSQL wakes: the 503 says "retry", and a retry is a duplicate (with an id or
/// an Idempotency-Key) rather than a loss.
/// </summary>
public static class DatabaseTimeout
{
    /// <summary>Npgsql's default <c>Cancellation Timeout</c>: how long it waits for a cancelled statement to end.</summary>
    public static readonly TimeSpan CancellationGrace = TimeSpan.FromSeconds(2);

    public static async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, TimeSpan limit, string what, CancellationToken ct)
    {
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var task = call(timeout.Token);
        try
        {
            return await task.WaitAsync(limit + CancellationGrace, ct);
        }
        catch (TimeoutException) when (!task.IsCompleted)
        {
            throw new TimeoutException($"{what} did not finish within {limit}; it was given up on.");
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} did not finish within {limit}.");
        }
        finally
        {
            // The call may still run (and use the token) after the caller stopped waiting: dispose the source when it ends.
            _ = task.ContinueWith(static (t, state) =>
            {
                _ = t.Exception; // observed: a call given up on may fail later
                ((CancellationTokenSource)state!).Dispose();
            }, timeout, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
