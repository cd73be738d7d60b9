using Xunit.Abstractions;

namespace EventService.Api.Tests.Infrastructure;

/// <summary>The choice <see cref="TestClock"/> documents: moving the clock in a test never runs the shared host's background jobs.</summary>
public sealed class TestClockTests(ApiFixture fixture, ITestOutputHelper output) : ApiTest(fixture, output)
{
    [Fact]
    public void Moving_the_clock_after_a_reset_fires_none_of_the_shared_hosts_background_timers()
    {
        // The retention job's and the counts compactor's, made on the clock the host started with.
        Assert.True(Fixture.Clock.TimersBeforeFirstReset >= 2, $"the host's jobs made {Fixture.Clock.TimersBeforeFirstReset} timers on the test clock");
        using var probe = Fixture.Clock.CreateTimer(_ => { }, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);

        Fixture.Time.Advance(TimeSpan.FromDays(31)); // far past the retention interval (1 h) and the compaction interval (5 s)

        // A FakeTimeProvider runs due callbacks inside Advance: the probe's ran, and nothing else did.
        Assert.Equal(1, Fixture.Clock.FiredSinceReset);
    }
}
