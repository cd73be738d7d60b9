using Microsoft.Extensions.Time.Testing;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// The host's clock in tests: a <see cref="FakeTimeProvider"/> that each test replaces with a fresh one
/// (a FakeTimeProvider cannot go back in time, and every test starts at <see cref="ApiFixture.Start"/>).
/// </summary>
/// <remarks>
/// A timer belongs to the provider that was current when it was made, and <see cref="Reset"/> leaves that provider
/// behind with its timers: nothing moves it again, so they never fire again. The shared host's background jobs
/// (<c>RetentionJob</c>, <c>EventCountsCompactor</c>) make their timers when the host starts, before the first test's
/// Reset. That is a choice, not an accident: a test that moves the clock by days runs the retention round or the
/// compaction it wants itself, with no background round competing for the purge lock or the counts
/// (<c>TestClockTests</c> pins it). A host that a test starts (<c>ApiFixture.CreateFactory</c>) makes its timers on
/// that test's provider, so moving the clock does fire them there: such a host should not purge
/// (<c>Retention:Enabled=false</c>) where the test moves the clock.
/// </remarks>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private int timersBeforeFirstReset;
    private int firedSinceReset;
    private bool everReset;

    public FakeTimeProvider Current { get; private set; } = new(start);

    /// <summary>Timers made before the first <see cref="Reset"/>: those of the shared host's background jobs.</summary>
    public int TimersBeforeFirstReset => Volatile.Read(ref timersBeforeFirstReset);

    /// <summary>Callbacks that timers of <see cref="Current"/> have run since the last <see cref="Reset"/>.</summary>
    public int FiredSinceReset => Volatile.Read(ref firedSinceReset);

    /// <summary>A fresh provider at <paramref name="start"/>; the timers of the one before stay with it, unfired.</summary>
    public void Reset(DateTimeOffset start)
    {
        Current = new FakeTimeProvider(start);
        Volatile.Write(ref firedSinceReset, 0);
        everReset = true;
    }

    public override DateTimeOffset GetUtcNow() => Current.GetUtcNow();

    public override long GetTimestamp() => Current.GetTimestamp();

    public override long TimestampFrequency => Current.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Current.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var owner = Current;
        if (!everReset)
        {
            Interlocked.Increment(ref timersBeforeFirstReset);
        }

        return owner.CreateTimer(
            s =>
            {
                if (ReferenceEquals(owner, Current))
                {
                    Interlocked.Increment(ref firedSinceReset);
                }

                callback(s);
            },
            state, dueTime, period);
    }
}
