namespace EventService.Domain.Events;

/// <summary>
/// Parses the timestamp formats emnify and its producers send: <c>2021-10-27T11:59:29.000Z</c>,
/// <c>2017-10-26T07:28:00.000+0000</c>, <c>2021-10-27T15:17:23Z</c>, <c>2021-10-06 10:42:58</c> (UTC assumed)
/// and other ISO 8601 offsets; formats them back as ISO 8601 UTC.
/// </summary>
public static class TimestampParser
{
    public static bool TryParse(string? text, out DateTimeOffset timestamp)
    {
        throw new NotImplementedException();
    }

    /// <summary><c>2021-10-27T11:59:29.000Z</c>; six fractional digits when the value has sub-millisecond precision.</summary>
    public static string Format(DateTimeOffset timestamp)
    {
        throw new NotImplementedException();
    }
}
