using System.Globalization;
using System.Text;
using EventService.Domain.Catalog;
using EventService.Domain.Events;

namespace EventService.Domain.Queries;

/// <summary>Parses emnify's list parameters (<c>q</c>, <c>sort</c>, <c>page</c>, <c>per_page</c>) into an <see cref="EventQuery"/>. No I/O.</summary>
public static class EventQueryParser
{
    public const int MaxFilterLength = 2000;
    public const int MaxTextLength = 200;
    public const int MaxSortLength = 500;
    public const int MaxRatType = 255;

    private const int WholeIccidLength = 20;
    private const int MaxShownLength = 64;

    private static readonly HashSet<string> ListFields =
        new(["type", "endpoint", "iccid", "iccid_with_luhn", "network", "rat", "country"], StringComparer.Ordinal);

    private static readonly HashSet<string> Fields = new(
        [
            "from", "until", "timestamp", "type", "source", "severity", "alert", "description", "organisation", "user",
            "endpoint", "tags", "ip_address", "imei", "imsi", "iccid", "iccid_with_luhn", "network", "rat", "country",
        ],
        StringComparer.Ordinal);

    private static readonly (string Name, SortField Field)[] SortNames =
    [
        ("id", SortField.Id), ("timestamp", SortField.Timestamp), ("source", SortField.Source),
        ("severity", SortField.Severity), ("alert", SortField.Alert), ("organisation", SortField.Organisation),
        ("user", SortField.User), ("endpoint", SortField.Endpoint), ("tags", SortField.Tags),
        ("ip_address", SortField.IpAddress), ("iccid", SortField.Iccid), ("imsi", SortField.Imsi), ("type", SortField.Type),
    ];

    private static readonly IReadOnlyList<SortKey> DefaultSort = [new SortKey(SortField.Id, Descending: false)];

    /// <param name="maxSpan">The longest <c>from</c>..<c>until</c> range (the service passes its retention period); null for no limit.</param>
    public static EventQueryResult Parse(string? q, string? sort, string? page, string? perPage, TimeSpan? maxSpan = null)
    {
        var errors = new List<QueryError>();
        var filterText = q?.Trim() ?? "";
        var filter = ParseFilter(filterText, maxSpan, errors);
        var sortKeys = ParseSort(sort, errors);
        var pageNumber = ParseInt(page, "page", errors) switch
        {
            null or < 1 => 1,
            var n => n.Value,
        };
        var pageSize = ParseInt(perPage, "per_page", errors) switch
        {
            null or < 1 => EventQuery.DefaultPerPage,
            > EventQuery.MaxPerPage => EventQuery.MaxPerPage,
            var n => n.Value,
        };

        if (errors.Count > 0 || filter is null || sortKeys is null)
        {
            return new EventQueryResult(null, errors);
        }

        return new EventQueryResult(new EventQuery(filter, sortKeys, pageNumber, pageSize, filterText, SortText(sortKeys)), []);
    }

    private static string SortText(IReadOnlyList<SortKey> keys) =>
        string.Join(',', keys.Select(k => (k.Descending ? "-" : "") + SortNames.First(n => n.Field == k.Field).Name));

    // filter

    private static EventFilter? ParseFilter(string text, TimeSpan? maxSpan, List<QueryError> errors)
    {
        if (text.Length == 0)
        {
            return EventFilter.None;
        }

        if (text.Length > MaxFilterLength)
        {
            errors.Add(FilterError($"q is longer than {MaxFilterLength} characters"));
            return null;
        }

        var start = errors.Count;
        var filter = new EventFilter();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var iccids = new List<IccidCondition>();
        DateTimeOffset? from = null, until = null, dayStart = null;

        var pairs = text.Split(',');
        for (var i = 0; i < pairs.Length; i++)
        {
            var pair = pairs[i].Trim();
            if (pair.Length == 0)
            {
                errors.Add(FilterError($"empty pair at position {i + 1}"));
                continue;
            }

            // Split at the first ':' only: date-times carry more of them.
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                errors.Add(FilterError($"{Quote(pair)} is not a field:value pair"));
                continue;
            }

            var field = pair[..colon].Trim();
            var value = pair[(colon + 1)..].Trim();
            if (field.Length == 0)
            {
                errors.Add(FilterError($"missing field name in {Quote(pair)}"));
                continue;
            }

            if (!Fields.Contains(field))
            {
                errors.Add(FilterError($"unknown field {Quote(field)} in {Quote(pair)}"));
                continue;
            }

            if (value.Length == 0)
            {
                errors.Add(FilterError($"empty value in {Quote(pair)}"));
                continue;
            }

            if (!seen.Add(field))
            {
                errors.Add(FilterError($"field '{field}' is given more than once"));
                continue;
            }

            var values = SplitValues(field, value, pair, errors);
            if (values is null)
            {
                continue;
            }

            var reader = new ValueReader(field, errors);
            switch (field)
            {
                case "from":
                    from = reader.DateTime(values[0]);
                    break;
                case "until":
                    until = reader.DateTime(values[0]);
                    break;
                case "timestamp":
                    dayStart = reader.Day(values[0]);
                    break;
                case "type":
                    filter = filter with { Types = reader.Ints(values, 0, int.MaxValue) };
                    break;
                case "rat":
                    filter = filter with { RatTypes = reader.Ints(values, 0, MaxRatType) };
                    break;
                case "source":
                    filter = filter with { Source = (EventSource?)reader.Code(values[0], "0 Network, 1 Policy Control, 2 API", 2) };
                    break;
                case "severity":
                    filter = filter with { Severity = (EventSeverity?)reader.Code(values[0], "0 Info, 1 Warn, 2 Critical", 2) };
                    break;
                case "alert":
                    filter = filter with { Alert = reader.Boolean(values[0]) };
                    break;
                case "description":
                    filter = filter with { Description = values[0] };
                    break;
                case "organisation":
                    filter = filter with { OrganisationName = values[0] };
                    break;
                case "user":
                    filter = filter with { UserName = values[0] };
                    break;
                case "tags":
                    filter = filter with { Tags = values[0] };
                    break;
                case "endpoint":
                    filter = filter with { EndpointNames = values };
                    break;
                case "network":
                    filter = filter with { Networks = values };
                    break;
                case "country":
                    filter = filter with { Countries = values };
                    break;
                case "ip_address":
                    filter = filter with { IpAddress = reader.IpAddress(values[0]) };
                    break;
                case "imei":
                    filter = filter with { Imei = reader.Digits(values[0]) };
                    break;
                case "imsi":
                    filter = filter with { Imsi = reader.Digits(values[0]) };
                    break;
                case "iccid":
                    iccids.AddRange(reader.Iccids(values, withLuhn: false));
                    break;
                case "iccid_with_luhn":
                    iccids.AddRange(reader.Iccids(values, withLuhn: true));
                    break;
            }
        }

        if (seen.Contains("timestamp") && (seen.Contains("from") || seen.Contains("until")))
        {
            errors.Add(FilterError("'timestamp' cannot be combined with 'from' or 'until'"));
        }
        else if (seen.Contains("from") != seen.Contains("until"))
        {
            errors.Add(FilterError(seen.Contains("from") ? "'from' needs 'until'" : "'until' needs 'from'"));
        }
        else if (from is { } f && until is { } u)
        {
            if (f > u)
            {
                errors.Add(FilterError($"'from' {TimestampParser.Format(f)} is after 'until' {TimestampParser.Format(u)}"));
            }
            else if (maxSpan is { } max && u - f > max)
            {
                errors.Add(FilterError($"'from' and 'until' may lie at most {Span(max)} apart (the retention period), not {Span(u - f)}"));
            }

            filter = filter with { From = f, Until = u, UntilExclusive = false };
        }
        else if (dayStart is { } d)
        {
            filter = filter with { From = d, Until = d.AddDays(1), UntilExclusive = true };
        }

        if (iccids.Count > EventQuery.MaxOrValues)
        {
            errors.Add(FilterError($"'iccid' and 'iccid_with_luhn' together take at most {EventQuery.MaxOrValues} values, got {iccids.Count}"));
        }

        filter = filter with { Iccids = iccids };
        return errors.Count > start ? null : filter;
    }

    private static string[]? SplitValues(string field, string value, string pair, List<QueryError> errors)
    {
        var values = value.Split('|');
        if (values.Length > 1 && !ListFields.Contains(field))
        {
            errors.Add(FilterError($"'{field}' takes one value, not a '|' list, in {Quote(pair)}"));
            return null;
        }

        if (values.Length > EventQuery.MaxOrValues)
        {
            errors.Add(FilterError($"'{field}' takes at most {EventQuery.MaxOrValues} values, got {values.Length}"));
            return null;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = values[i].Trim();
            var problem = values[i] switch
            {
                { Length: 0 } => "an empty value",
                { Length: > MaxTextLength } => $"a value longer than {MaxTextLength} characters",
                var v when v.Contains('\0', StringComparison.Ordinal) => "a NUL character",
                var v when HasLoneSurrogate(v) => "an unpaired surrogate",
                _ => null,
            };
            if (problem is not null)
            {
                errors.Add(FilterError($"'{field}' has {problem} in {Quote(pair)}"));
                return null;
            }
        }

        return values;
    }

    /// <summary>Reads the values of one field, adding an error that names the field and the value when one is bad.</summary>
    private sealed class ValueReader(string field, List<QueryError> errors)
    {
        public int[] Ints(string[] values, int min, int max)
        {
            var result = new int[values.Length];
            for (var i = 0; i < values.Length; i++)
            {
                if (Int(values[i], min, max) is not { } n)
                {
                    return [];
                }

                result[i] = n;
            }

            return result;
        }

        public int? Code(string value, string known, int max)
        {
            if (!IsDigits(value))
            {
                return Fail<int?>($"'{field}' expects a number, got {Quote(value)}");
            }

            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= max
                ? n
                : Fail<int?>($"unknown {field} {Quote(value)} (known: {known})");
        }

        public bool? Boolean(string value) => value switch
        {
            "1" => true,
            "0" => false,
            _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            _ => Fail<bool?>($"'{field}' expects true or false, got {Quote(value)}"),
        };

        public string? Digits(string value) =>
            IsDigits(value) ? value : Fail<string?>($"'{field}' expects a number, got {Quote(value)}");

        public DateTimeOffset? DateTime(string value) =>
            TimestampParser.TryParse(value, out var instant)
                ? instant
                : Fail<DateTimeOffset?>($"'{field}' expects a date-time like 2021-10-27T11:59:29Z, got {Quote(value)}");

        /// <summary>The start (UTC) of the day named by a date or of the day containing a date-time.</summary>
        public DateTimeOffset? Day(string value)
        {
            DateTime day;
            if (TryDate(value, out var date))
            {
                day = date;
            }
            else if (TimestampParser.TryParse(value, out var instant))
            {
                day = instant.UtcDateTime.Date;
            }
            else
            {
                return Fail<DateTimeOffset?>($"'{field}' expects a date like 2021-10-27 or a date-time like 2021-10-27T11:59:29Z, got {Quote(value)}");
            }

            // The day's exclusive end must be representable.
            return day < System.DateTime.MaxValue.Date
                ? new DateTimeOffset(day, TimeSpan.Zero)
                : Fail<DateTimeOffset?>($"'{field}' {Quote(value)} is out of range");
        }

        public string? IpAddress(string value)
        {
            var wellFormed = value.Contains(':', StringComparison.Ordinal) ? IsIpv6Text(value) : IsDottedQuad(value);
            return wellFormed && System.Net.IPAddress.TryParse(value, out var address)
                ? address.ToString()
                : Fail<string?>($"'{field}' expects an IPv4 or IPv6 address, got {Quote(value)}");
        }

        public IEnumerable<IccidCondition> Iccids(string[] values, bool withLuhn)
        {
            var result = new List<IccidCondition>(values.Length);
            foreach (var value in values)
            {
                if (!IsDigits(value) || value.Length > WholeIccidLength)
                {
                    Error($"'{field}' expects 1 to {WholeIccidLength} digits, got {Quote(value)}");
                    return [];
                }

                if (value.Length < WholeIccidLength)
                {
                    result.Add(new IccidCondition(value, IsPrefix: true));
                }
                else if (!withLuhn)
                {
                    result.Add(new IccidCondition(value, IsPrefix: false));
                }
                else if (HasValidLuhnDigit(value))
                {
                    result.Add(new IccidCondition(value[..^1], IsPrefix: false));
                }
                else
                {
                    Error($"'{field}' {Quote(value)} has a wrong Luhn check digit");
                    return [];
                }
            }

            return result;
        }

        private int? Int(string value, int min, int max)
        {
            if (!IsDigits(value))
            {
                return Fail<int?>($"'{field}' expects a number, got {Quote(value)}");
            }

            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : Fail<int?>($"'{field}' value {Quote(value)} is out of range ({min} to {max})");
        }

        private T? Fail<T>(string message)
        {
            Error(message);
            return default;
        }

        private void Error(string message) => errors.Add(FilterError(message));
    }

    private static bool TryDate(string text, out DateTime date)
    {
        date = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-'
            || !IsDigits(text[..4]) || !IsDigits(text[5..7]) || !IsDigits(text[8..]))
        {
            return false;
        }

        var year = int.Parse(text[..4], CultureInfo.InvariantCulture);
        var month = int.Parse(text[5..7], CultureInfo.InvariantCulture);
        var day = int.Parse(text[8..], CultureInfo.InvariantCulture);
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
        return true;
    }

    // IPAddress.TryParse also takes "1", "1.2", "0x7f.1" and octal parts; an address filter should mean what it says.
    private static bool IsDottedQuad(string text)
    {
        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p =>
            p.Length is >= 1 and <= 3 && IsDigits(p) && (p.Length == 1 || p[0] != '0') && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    // No brackets, ports or zone ids: only what an endpoint's address can look like.
    private static bool IsIpv6Text(string text) =>
        text.All(c => char.IsAsciiHexDigit(c) || c == ':' || c == '.');

    private static bool HasValidLuhnDigit(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    // sort

    private static IReadOnlyList<SortKey>? ParseSort(string? sort, List<QueryError> errors)
    {
        var text = sort?.Trim() ?? "";
        if (text.Length == 0)
        {
            return DefaultSort;
        }

        if (text.Length > MaxSortLength)
        {
            errors.Add(SortError($"sort is longer than {MaxSortLength} characters"));
            return null;
        }

        var start = errors.Count;
        var keys = new List<SortKey>();
        var items = text.Split(',');
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i].Trim();
            var descending = item.StartsWith('-');
            var name = descending ? item[1..] : item;
            if (name.Length == 0)
            {
                errors.Add(SortError(item.Length == 0 ? $"empty sort field at position {i + 1}" : $"'-' without a field at position {i + 1}"));
                continue;
            }

            var match = Array.FindIndex(SortNames, n => n.Name == name);
            if (match < 0)
            {
                errors.Add(SortError($"unknown sort field {Quote(name)} (fields: {string.Join(", ", SortNames.Select(n => n.Name))})"));
                continue;
            }

            var field = SortNames[match].Field;
            if (keys.Any(k => k.Field == field))
            {
                errors.Add(SortError($"sort field '{name}' is given more than once"));
                continue;
            }

            keys.Add(new SortKey(field, descending));
        }

        return errors.Count > start ? null : keys;
    }

    // paging

    private static int? ParseInt(string? text, string parameter, List<QueryError> errors)
    {
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            return null;
        }

        if (int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        errors.Add(new QueryError(QueryErrorKind.Paging, parameter, $"{parameter} must be an integer, got {Quote(trimmed)}"));
        return null;
    }

    // shared

    private static string Span(TimeSpan span) =>
        span.Ticks % TimeSpan.TicksPerDay == 0 ? $"{span.Days} days" : span.ToString("c", CultureInfo.InvariantCulture);

    private static QueryError FilterError(string message) => new(QueryErrorKind.Filter, "q", message);

    private static QueryError SortError(string message) => new(QueryErrorKind.Sort, "sort", message);

    private static bool IsDigits(string text) => text.Length > 0 && !text.AsSpan().ContainsAnyExceptInRange('0', '9');

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The bad part as it came, shortened and with control characters and unpaired surrogates escaped, so a message stays one readable line.</summary>
    private static string Quote(string text)
    {
        var shown = text.Length > MaxShownLength ? text[..MaxShownLength] : text;
        var builder = new StringBuilder(shown.Length + 8).Append('\'');
        for (var i = 0; i < shown.Length; i++)
        {
            var c = shown[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown.Length && char.IsLowSurrogate(shown[i + 1]))
            {
                builder.Append(c).Append(shown[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        if (text.Length > MaxShownLength)
        {
            builder.Append("...");
        }

        return builder.Append('\'').ToString();
    }
}
