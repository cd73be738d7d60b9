using EventService.Domain.Events;

namespace EventService.Domain.Tests;

public sealed class TimestampParserTests
{
    [Theory]
    [InlineData("2021-10-27T11:59:29.000Z", "2021-10-27T11:59:29.0000000+00:00")]
    [InlineData("2017-10-26T07:28:00.000+0000", "2017-10-26T07:28:00.0000000+00:00")]
    [InlineData("2021-10-27T15:17:23Z", "2021-10-27T15:17:23.0000000+00:00")]
    [InlineData("2021-10-06 10:42:58", "2021-10-06T10:42:58.0000000+00:00")]
    [InlineData("2021-10-27T11:59:29+00:00", "2021-10-27T11:59:29.0000000+00:00")]
    [InlineData("2021-10-27T13:59:29+02:00", "2021-10-27T11:59:29.0000000+00:00")]
    [InlineData("2021-10-27T13:59:29.250+0200", "2021-10-27T11:59:29.2500000+00:00")]
    [InlineData("2021-10-27T09:59:29.5-02:00", "2021-10-27T11:59:29.5000000+00:00")]
    [InlineData("2021-10-27 11:59:29.123456Z", "2021-10-27T11:59:29.1234560+00:00")]
    [InlineData("2021-10-27T00:30:00+01:00", "2021-10-26T23:30:00.0000000+00:00")]
    [InlineData("2024-02-29T23:59:59.9999999Z", "2024-02-29T23:59:59.9999990+00:00")]
    public void Known_formats_parse_to_utc(string text, string expected)
    {
        Assert.True(TimestampParser.TryParse(text, out var timestamp));

        Assert.Equal(TimeSpan.Zero, timestamp.Offset);
        Assert.Equal(expected, timestamp.ToString("O"));
    }

    [Theory]
    [InlineData("2021-10-27T11:59:29Z", 0)]
    [InlineData("2021-10-27T11:59:29.1Z", 1_000_000)]
    [InlineData("2021-10-27T11:59:29.12Z", 1_200_000)]
    [InlineData("2021-10-27T11:59:29.123Z", 1_230_000)]
    [InlineData("2021-10-27T11:59:29.1234Z", 1_234_000)]
    [InlineData("2021-10-27T11:59:29.12345Z", 1_234_500)]
    [InlineData("2021-10-27T11:59:29.123456Z", 1_234_560)]
    [InlineData("2021-10-27T11:59:29.1234567Z", 1_234_560)]
    public void Zero_to_seven_fraction_digits_are_read_and_truncated_to_microseconds(string text, long fractionTicks)
    {
        Assert.True(TimestampParser.TryParse(text, out var timestamp));

        Assert.Equal(fractionTicks, timestamp.Ticks % TimeSpan.TicksPerSecond);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2021-10-27")]
    [InlineData("1635335969")]
    [InlineData("1635335969000")]
    [InlineData("2021-10-27T11:59")]
    [InlineData("2021/10/27 11:59:29")]
    [InlineData("27.10.2021 11:59:29")]
    [InlineData("2021-13-01T00:00:00Z")]
    [InlineData("2021-00-01T00:00:00Z")]
    [InlineData("2021-02-29T00:00:00Z")]
    [InlineData("2021-10-32T00:00:00Z")]
    [InlineData("2021-10-27T24:00:00Z")]
    [InlineData("2021-10-27T11:60:00Z")]
    [InlineData("2021-10-27T11:59:60Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("9999-12-31T23:59:59-01:00")]
    [InlineData("2021-10-27T11:59:29.12345678Z")]
    [InlineData("2021-10-27T11:59:29.Z")]
    [InlineData("2021-10-27T11:59:29+15:00")]
    [InlineData("2021-10-27T11:59:29+02")]
    [InlineData("2021-10-27T11:59:29+02:60")]
    [InlineData("2021-10-27T11:59:29+2:00")]
    [InlineData("2021-10-27T11:59:29 +02:00")]
    [InlineData("2021-10-27t11:59:29Z")]
    [InlineData("2021-10-27T11:59:29ZZ")]
    [InlineData(" 2021-10-27T11:59:29Z")]
    [InlineData("2021-10-27T11:59:29Z ")]
    [InlineData("2021-10-27T11:59:29UTC")]
    [InlineData("２０２１-10-27T11:59:29Z")]
    public void Anything_else_is_rejected(string? text)
    {
        Assert.False(TimestampParser.TryParse(text, out _));
    }

    [Fact]
    public void Whole_milliseconds_format_with_three_fraction_digits()
    {
        var timestamp = new DateTimeOffset(2021, 10, 27, 11, 59, 29, 5, TimeSpan.Zero);

        Assert.Equal("2021-10-27T11:59:29.005Z", TimestampParser.Format(timestamp));
    }

    [Fact]
    public void Sub_millisecond_values_format_with_six_fraction_digits()
    {
        var timestamp = new DateTimeOffset(2021, 10, 27, 11, 59, 29, 5, TimeSpan.Zero).AddTicks(70);

        Assert.Equal("2021-10-27T11:59:29.005007Z", TimestampParser.Format(timestamp));
    }

    [Fact]
    public void Values_with_an_offset_format_as_utc()
    {
        var timestamp = new DateTimeOffset(2021, 10, 27, 13, 59, 29, TimeSpan.FromHours(2));

        Assert.Equal("2021-10-27T11:59:29.000Z", TimestampParser.Format(timestamp));
    }

    [Theory]
    [InlineData("2017-10-26T07:28:00.000+0000", "2017-10-26T07:28:00.000Z")]
    [InlineData("2021-10-06 10:42:58", "2021-10-06T10:42:58.000Z")]
    [InlineData("2021-10-06T10:42:58.1234567+02:00", "2021-10-06T08:42:58.123456Z")]
    public void Parsed_values_format_back_as_iso_utc(string text, string expected)
    {
        Assert.True(TimestampParser.TryParse(text, out var timestamp));

        Assert.Equal(expected, TimestampParser.Format(timestamp));
    }
}
