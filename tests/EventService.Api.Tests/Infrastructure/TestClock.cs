using Microsoft.Extensions.Time.Testing;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// The host's clock in tests: a <see cref="FakeTimeProvider"/> that each test can replace with a fresh one
/// (a FakeTimeProvider cannot go back in time, and every test starts at <see cref="ApiFixture.Start"/>).
/// </summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public FakeTimeProvider Current { get; private set; } = new(start);

    public void Reset(DateTimeOffset start) => Current = new FakeTimeProvider(start);

    public override DateTimeOffset GetUtcNow() => Current.GetUtcNow();

    public override long GetTimestamp() => Current.GetTimestamp();

    public override long TimestampFrequency => Current.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Current.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        Current.CreateTimer(callback, state, dueTime, period);
}
