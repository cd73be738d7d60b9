using System.Threading.Channels;
using EventService.Domain.Events;
using Microsoft.Extensions.Options;
using Npgsql;

namespace EventService.Api.Storage.Events;

/// <summary>
/// Group commit: concurrent requests hand their validated events to a bounded channel; a writer loop takes what is
/// waiting (up to <see cref="StorageOptions.GroupCommitMaxEvents"/>, waiting at most
/// <see cref="StorageOptions.GroupCommitWindow"/> for more), writes it with one <see cref="EventWriter"/> transaction,
/// commits, and only then completes each waiting request. One durable commit serves many requests, so single-event
/// posts are no longer capped by the disk's fsync rate. Large requests write on their own.
/// </summary>
public sealed partial class GroupCommitWriter : IHostedService
{
    private readonly EventWriter writer;
    private readonly StorageOptions options;
    private readonly ILogger<GroupCommitWriter> logger;
    private readonly Channel<Pending> channel;
    private readonly CancellationTokenSource abort = new(); // no timer: needs no disposing
    private Task[] loops = [];

    public GroupCommitWriter(EventWriter writer, IOptions<StorageOptions> options, ILogger<GroupCommitWriter> logger)
    {
        this.writer = writer;
        this.options = options.Value;
        this.logger = logger;
        channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(this.options.GroupCommitQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = this.options.GroupCommitWriters == 1,
            SingleWriter = false,
        });
    }

    /// <summary>
    /// Commits one request's events and rejected items, alone or together with other requests'. Returns when they
    /// are committed. Once handed over they are written even if <paramref name="ct"/> fires meanwhile (the caller
    /// just stops waiting); a database error caused by another request's data does not fail this one.
    /// </summary>
    public async Task<WriteOutcome[]> WriteAsync(
        IReadOnlyList<ValidatedEvent> events, IReadOnlyList<QuarantineEntry> rejected, long? producerId, DateTimeOffset receivedAt, CancellationToken ct)
    {
        var part = new WritePart(events, rejected, producerId, receivedAt);
        if (events.Count + rejected.Count >= options.DirectWriteMinEvents || loops.Length == 0)
        {
            return await writer.WriteAsync(events, rejected, producerId, receivedAt, ct);
        }

        var pending = new Pending(part);
        try
        {
            await channel.Writer.WriteAsync(pending, ct);
        }
        catch (ChannelClosedException)
        {
            // Shutting down: the loops drain what they hold; this late request writes on its own.
            return await writer.WriteAsync(events, rejected, producerId, receivedAt, ct);
        }

        return await pending.Completion.Task.WaitAsync(ct);
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
            group.Add(pending);
            events += pending.Size;
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
            foreach (var pending in group)
            {
                await CommitAloneAsync(pending);
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

    private async Task CommitAloneAsync(Pending pending)
    {
        try
        {
            var outcomes = await writer.WriteAsync([pending.Part], abort.Token);
            pending.Completion.TrySetResult(outcomes[0]);
        }
        catch (Exception ex)
        {
            pending.Completion.TrySetException(ex);
        }
    }

    private sealed class Pending(WritePart part)
    {
        public WritePart Part { get; } = part;

        public int Size { get; } = Math.Max(1, part.Events.Count + part.Rejected.Count);

        // Continuations run on the pool, never inline on the writer loop.
        public TaskCompletionSource<WriteOutcome[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Group commit of {Requests} requests, {Events} items")]
    private partial void LogCommitted(int requests, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group commit of {Requests} requests failed; writing each on its own")]
    private partial void LogSplitting(Exception exception, int requests);
}
