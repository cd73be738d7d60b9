using EventService.Api.Storage;
using Npgsql;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>
/// The database's clock as the tests' hosts see it: the test clock plus <see cref="Skew"/>. The tests' clock starts at
/// <see cref="ApiFixture.Start"/> and moves by days while PostgreSQL's keeps real time, so a host that compared them
/// would refuse every purge; with this seam the purge still takes its cutoff from "the database's clock", and a test
/// sets the skew to put the two clocks apart. <c>RetentionClockTests</c> runs a host with the real
/// <see cref="DatabaseClock"/> (SELECT clock_timestamp()) to show that path.
/// </summary>
public sealed class TestDatabaseClock(TimeProvider testClock) : DatabaseClock(null!)
{
    private long skewTicks;

    /// <summary>How far the database's clock is ahead of the test clock (negative: behind).</summary>
    public TimeSpan Skew
    {
        get => TimeSpan.FromTicks(Volatile.Read(ref skewTicks));
        set => Volatile.Write(ref skewTicks, value.Ticks);
    }

    public override Task<DateTimeOffset> NowAsync(CancellationToken ct) => Task.FromResult(testClock.GetUtcNow() + Skew);
}
