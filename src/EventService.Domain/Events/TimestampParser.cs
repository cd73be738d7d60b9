using System.Globalization;

namespace EventService.Domain.Events;

/// <summary>
/// Parses the timestamp formats emnify and its producers send: <c>2021-10-27T11:59:29.000Z</c>,
/// <c>2017-10-26T07:28:00.000+0000</c>, <c>2021-10-27T15:17:23Z</c>, <c>2021-10-06 10:42:58</c> (UTC assumed)
/// and other ISO 8601 offsets; formats them back as ISO 8601 UTC.
/// </summary>
public static class TimestampParser
{
    private static readonly TimeSpan MaxOffset = TimeSpan.FromHours(14);

    /// <summary>
    /// Accepts <c>yyyy-MM-dd</c>, <c>T</c> or a space, <c>HH:mm:ss</c>, 1 to 7 fractional digits, then nothing (UTC),
    /// <c>Z</c>, <c>±HH:mm</c> or <c>±HHmm</c>. The result is UTC, truncated to whole microseconds.
    /// </summary>
    public static bool TryParse(string? text, out DateTimeOffset timestamp)
    {
        timestamp = default;
        if (text is null || text.Length < 19 || text.Length > 40)
        {
            return false;
        }

        var s = text.AsSpan();
        if (!TryDigits(s, 0, 4, out var year) || s[4] != '-'
            || !TryDigits(s, 5, 2, out var month) || s[7] != '-'
            || !TryDigits(s, 8, 2, out var day)
            || (s[10] != 'T' && s[10] != ' ')
            || !TryDigits(s, 11, 2, out var hour) || s[13] != ':'
            || !TryDigits(s, 14, 2, out var minute) || s[16] != ':'
            || !TryDigits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long fractionTicks = 0;
        if (i < s.Length && s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                fractionTicks = (fractionTicks * 10) + (s[i] - '0');
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 7)
            {
                return false;
            }

            for (var pad = digits; pad < 7; pad++)
            {
                fractionTicks *= 10;
            }
        }

        if (!TryOffset(s[i..], out var offset))
        {
            return false;
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        var ticks = new DateTime(year, month, day, hour, minute, second).Ticks + fractionTicks - offset.Ticks;
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        // PostgreSQL keeps microseconds; truncating here makes what is stored equal what was validated.
        ticks -= ticks % 10;
        timestamp = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    /// <summary><c>2021-10-27T11:59:29.000Z</c>; six fractional digits when the value has sub-millisecond precision.</summary>
    public static string Format(DateTimeOffset timestamp)
    {
        var utc = timestamp.UtcDateTime;
        var subMillisecondMicros = utc.Ticks % TimeSpan.TicksPerMillisecond / TimeSpan.TicksPerMicrosecond;
        return utc.ToString(
            subMillisecondMicros == 0 ? "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fff'Z'" : "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'",
            CultureInfo.InvariantCulture);
    }

    private static bool TryOffset(ReadOnlySpan<char> s, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (s.Length == 0 || (s.Length == 1 && s[0] == 'Z'))
        {
            return true;
        }

        if (s[0] != '+' && s[0] != '-')
        {
            return false;
        }

        int hours, minutes;
        if (s.Length == 6 && s[3] == ':')
        {
            if (!TryDigits(s, 1, 2, out hours) || !TryDigits(s, 4, 2, out minutes))
            {
                return false;
            }
        }
        else if (s.Length == 5)
        {
            if (!TryDigits(s, 1, 2, out hours) || !TryDigits(s, 3, 2, out minutes))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (minutes > 59)
        {
            return false;
        }

        offset = new TimeSpan(hours, minutes, 0);
        if (offset > MaxOffset)
        {
            return false;
        }

        if (s[0] == '-')
        {
            offset = -offset;
        }

        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var c = s[i];
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
        }

        return true;
    }
}
