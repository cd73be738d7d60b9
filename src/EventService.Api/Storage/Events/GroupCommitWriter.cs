using System.Threading.Channels;
using System.Threading.RateLimiting;
using EventService.Domain.Events;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>
/// Group commit: concurrent requests hand their validated events to a queue; a writer loop takes what is
/// waiting (up to <see cref="StorageOptions.GroupCommitMaxEvents"/>, waiting at most
/// <see cref="StorageOptions.GroupCommitWindow"/> for more), writes it with one <see cref="EventWriter"/> transaction,
/// commits, and only then completes each waiting request. One durable commit serves many requests, so single-event
/// posts are no longer capped by the disk's fsync rate. Large requests write on their own.
/// Every write, grouped or not, is admitted by two budgets first, in events and in bytes
/// (<see cref="StorageOptions.WriteQueueMaxEvents"/>, <see cref="StorageOptions.WriteQueueMaxBytes"/>), so that a slow
/// or frozen database holds a bounded amount of memory; a request that is not taken by a writer before its deadline
/// is answered <see cref="WriteRefusedException"/> and never written.
/// </summary>
public sealed partial class GroupCommitWriter : IHostedService, IDisposable
{
    private readonly EventWriter writer;
    private readonly StorageOptions options;
    private readonly ILogger<GroupCommitWriter> logger;
    private readonly Channel<Pending> channel;
    private readonly ConcurrencyLimiter eventBudget;
    private readonly ConcurrencyLimiter byteBudget;
    private readonly ConcurrencyLimiter alone;
    private readonly CancellationTokenSource abort = new(); // no timer: needs no disposing
    private Task[] loops = [];
    private int queued;

    public GroupCommitWriter(EventWriter writer, IOptions<StorageOptions> options, ILogger<GroupCommitWriter> logger)
    {
        this.writer = writer;
        this.options = options.Value;
        this.logger = logger;
        // Unbounded as a channel: the budgets bound what enters it.
        channel = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions
        {
            SingleReader = this.options.GroupCommitWriters == 1,
            SingleWriter = false,
        });
        eventBudget = Budget(this.options.WriteQueueMaxEvents);
        byteBudget = Budget((int)this.options.WriteQueueMaxBytes);
        // Its waiters are bounded by the budgets already.
        alone = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = this.options.MaxWritesAlone,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>Events admitted (queued, or being written) and not yet answered.</summary>
    public long EventsAdmitted => options.WriteQueueMaxEvents - (eventBudget.GetStatistics()?.CurrentAvailablePermits ?? 0);

    /// <summary>Events of requests waiting for room in the event budget.</summary>
    public long EventsWaitingForRoom => eventBudget.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>Writes waiting for a turn among <see cref="StorageOptions.MaxWritesAlone"/>.</summary>
    public long WritesAloneWaiting => alone.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>Requests admitted and waiting for a writer to take them (an abandoned one counts until a writer passes it).</summary>
    public int RequestsQueued => Volatile.Read(ref queued);

    // As many may wait for room as fit in: beyond that a request is refused at once rather than held in memory.
    private static ConcurrencyLimiter Budget(int permits) => new(new ConcurrencyLimiterOptions
    {
        PermitLimit = permits,
        QueueLimit = permits,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    /// <summary>
    /// Commits one request's events and rejected items, alone or together with other requests'. Returns when they
    /// are committed. <paramref name="deadline"/> fires at the request's deadline (and when the client goes away,
    /// <paramref name="ct"/>): until a writer has taken the request it is then given up, not written, and this throws
    /// <see cref="WriteRefusedException"/> (or the cancellation, for a client that left). Once taken, the request is
    /// written whatever fires, and this waits for that commit, bounded by <see cref="StorageOptions.WriteCommandTimeout"/>,
    /// unless the client went away. A database error caused by another request's data does not fail this one.
    /// </summary>
    /// <param name="bytes">The posted JSON's size of these items, charged to the byte budget.</param>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<ValidatedEvent> events, IReadOnlyList<QuarantineEntry> rejected, long? producerId, DateTimeOffset receivedAt,
        long bytes, CancellationToken deadline, CancellationToken ct)
    {
        var size = Math.Max(1, events.Count + rejected.Count);
        using var admitted = await AdmitAsync(size, bytes, deadline, ct);
        if (size >= options.DirectWriteMinEvents || loops.Length == 0)
        {
            using var turn = await AcquireAsync(alone, 1, deadline, ct);
            return await writer.WriteAsync(events, rejected, producerId, receivedAt, ct);
        }

        var pending = new Pending(new WritePart(events, rejected, producerId, receivedAt), size);
        Interlocked.Increment(ref queued);
        if (!channel.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref queued);
            // Shutting down: the loops drain what they hold; this late request writes on its own.
            return await writer.WriteAsync(events, rejected, producerId, receivedAt, ct);
        }

        try
        {
            return await pending.Completion.Task.WaitAsync(deadline);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            if (pending.TryAbandon())
            {
                // Its events stay in the queue until a writer passes them: so does its charge on the budgets.
                admitted.KeepUntil(pending.Completion.Task);
                ct.ThrowIfCancellationRequested();
                throw new WriteRefusedException("The request waited for the database longer than its deadline; nothing of it was written.");
            }

            // A writer has it: its commit decides the answer. The budgets stay charged until then.
            var outcome = pending.Completion.Task;
            admitted.KeepUntil(outcome);
            return await outcome.WaitAsync(ct);
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> on its own, not grouped (a request whose keys need a transaction of its own), once
    /// the budgets admit it; <paramref name="deadline"/> and <paramref name="ct"/> as for <see cref="WriteAsync"/>.
    /// </summary>
    public async Task<T> WriteAloneAsync<T>(int items, long bytes, Func<CancellationToken, Task<T>> write, CancellationToken deadline, CancellationToken ct)
    {
        using var admitted = await AdmitAsync(Math.Max(1, items), bytes, deadline, ct);
        using var turn = await AcquireAsync(alone, 1, deadline, ct);
        return await write(ct);
    }

    private async Task<Admission> AdmitAsync(int events, long bytes, CancellationToken deadline, CancellationToken ct)
    {
        var eventLease = await AcquireAsync(eventBudget, Math.Min(events, options.WriteQueueMaxEvents), deadline, ct);
        try
        {
            var byteLease = await AcquireAsync(byteBudget, (int)Math.Clamp(bytes, 1, options.WriteQueueMaxBytes), deadline, ct);
            return new Admission(eventLease, byteLease);
        }
        catch
        {
            eventLease.Dispose();
            throw;
        }
    }

    private static async Task<RateLimitLease> AcquireAsync(ConcurrencyLimiter budget, int permits, CancellationToken deadline, CancellationToken ct)
    {
        RateLimitLease lease;
        try
        {
            lease = await budget.AcquireAsync(permits, deadline);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            ct.ThrowIfCancellationRequested();
            throw new WriteRefusedException("The write queue stayed full for longer than the request's deadline; nothing of it was written.");
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new WriteRefusedException("The write queue and its waiting room are full; nothing of the request was written.");
        }

        return lease;
    }

    /// <summary>A request's charge on both budgets, returned when it is answered (or, once taken, when its commit ends).</summary>
    private sealed class Admission(RateLimitLease events, RateLimitLease bytes) : IDisposable
    {
        private Task? keepUntil;

        public void KeepUntil(Task task) => keepUntil = task;

        public void Dispose()
        {
            if (keepUntil is { IsCompleted: false } task)
            {
                _ = task.ContinueWith(static (_, state) => ((Admission)state!).Release(), this, CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                return;
            }

            Release();
        }

        private void Release()
        {
            events.Dispose();
            bytes.Dispose();
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        loops = Enumerable.Range(0, Math.Max(1, options.GroupCommitWriters))
            .Select(_ => Task.Run(RunAsync, CancellationToken.None))
            .ToArray();
        return Task.CompletedTask;
    }

    /// <summary>Takes no more requests and waits until every one handed over is committed (or the host's stop timeout).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        channel.Writer.TryComplete();
        try
        {
            await Task.WhenAll(loops).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await abort.CancelAsync(); // the host gives up waiting: abort the write in flight (it rolls back)
        }
    }

    private async Task RunAsync()
    {
        var reader = channel.Reader;
        var group = new List<Pending>();
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            var events = Take(reader, group, 0);
            if (events < options.GroupCommitMaxEvents && options.GroupCommitWindow > TimeSpan.Zero)
            {
                events = await TakeForAsync(reader, group, events);
            }

            if (group.Count > 0)
            {
                try
                {
                    await CommitAsync(group);
                }
                catch (Exception ex)
                {
                    // CommitAsync answers every request itself; should a bug slip past it, no request may wait
                    // forever and the loop must live on.
                    foreach (var pending in group)
                    {
                        pending.Completion.TrySetException(ex);
                    }
                }

                group.Clear();
            }
        }
    }

    private int Take(ChannelReader<Pending> reader, List<Pending> group, int events)
    {
        while (events < options.GroupCommitMaxEvents && reader.TryRead(out var pending))
        {
            Interlocked.Decrement(ref queued);
            if (pending.TryTake())
            {
                group.Add(pending);
                events += pending.Size;
            }
            else
            {
                // Its deadline passed while it waited: it was answered and is not written. Passing it frees its charge.
                pending.Completion.TrySetCanceled();
            }
        }

        return events;
    }

    private async Task<int> TakeForAsync(ChannelReader<Pending> reader, List<Pending> group, int events)
    {
        using var window = new CancellationTokenSource(options.GroupCommitWindow);
        try
        {
            while (events < options.GroupCommitMaxEvents && await reader.WaitToReadAsync(window.Token))
            {
                events = Take(reader, group, events);
            }
        }
        catch (OperationCanceledException) when (window.IsCancellationRequested)
        {
        }

        return events;
    }

    private async Task CommitAsync(List<Pending> group)
    {
        try
        {
            var outcomes = await writer.WriteAsync(group.Select(p => p.Part).ToList(), abort.Token);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(outcomes[i]);
            }

            LogCommitted(group.Count, group.Sum(p => p.Size));
        }
        catch (PostgresException ex) when (group.Count > 1 && IsCausedByData(ex))
        {
            // Nothing of the group was committed. The error belongs to one request's data (a constraint, a
            // trigger, a value PostgreSQL refuses): write each request on its own, so only that one fails.
            LogSplitting(ex, group.Count);
            // One write timeout for the whole split, not one per request, so that the answers still come within the
            // deadline plus it: a request the split does not reach in time was not written, and is refused.
            using var split = new CancellationTokenSource(options.WriteCommandTimeout);
            foreach (var pending in group)
            {
                if (split.IsCancellationRequested)
                {
                    pending.Completion.TrySetException(new WriteRefusedException(
                        "The request's group failed on another request's data and the database was too slow to write it on its own in time; nothing of it was written."));
                    continue;
                }

                await CommitAloneAsync(pending, split.Token);
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in group)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    /// <summary>
    /// A data exception (22), an integrity violation (23) or a raised error (P0) belongs to some request's rows;
    /// anything else (a restart, a timeout, no connection) would fail every request alike, so the group is not split.
    /// </summary>
    private static bool IsCausedByData(PostgresException ex) =>
        ex.SqlState.StartsWith("22", StringComparison.Ordinal)
        || ex.SqlState.StartsWith("23", StringComparison.Ordinal)
        || ex.SqlState.StartsWith("P0", StringComparison.Ordinal);

    private async Task CommitAloneAsync(Pending pending, CancellationToken split)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(abort.Token, split);
        try
        {
            var outcomes = await writer.WriteAsync([pending.Part], either.Token);
            pending.Completion.TrySetResult(outcomes[0]);
        }
        catch (OperationCanceledException) when (split.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            pending.Completion.TrySetException(new TimeoutException("The write did not finish within Storage:WriteCommandTimeout."));
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    private sealed class Pending(WritePart part, int size)
    {
        private const int Waiting = 0, Taken = 1, Abandoned = 2;
        private int state;

        public WritePart Part { get; } = part;

        public int Size { get; } = size;

        /// <summary>A writer takes it; false when its caller gave up first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref state, Taken, Waiting) == Waiting;

        /// <summary>Its caller gives up; false when a writer took it first.</summary>
        public bool TryAbandon() => Interlocked.CompareExchange(ref state, Abandoned, Waiting) == Waiting;

        // Continuations run on the pool, never inline on the writer loop.
        public TaskCompletionSource<WriteOutcome[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Dispose()
    {
        eventBudget.Dispose();
        byteBudget.Dispose();
        alone.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group commit of {Requests} requests, {Events} items")]
    private partial void LogCommitted(int requests, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group commit of {Requests} requests failed; writing each on its own")]
    private partial void LogSplitting(Exception exception, int requests);
}
