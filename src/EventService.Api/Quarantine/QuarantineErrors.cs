namespace EventService.Api.Quarantine;

/// <summary>
/// The bound on a quarantined item's <c>errors</c>: its paths echo producers' property names (up to 4096 characters
/// at each of 16 levels) and an array can carry one error per element, so unbounded they could make a row megabytes.
/// At most <see cref="MaxPaths"/> paths with <see cref="MaxMessagesPerPath"/> messages each are kept, every path and
/// message cut at <see cref="MaxChars"/> characters; what is left out is counted under the <see cref="MoreKey"/> path.
/// </summary>
public static class QuarantineErrors
{
    public const int MaxPaths = 50;

    public const int MaxMessagesPerPath = 5;

    public const int MaxChars = 200;

    /// <summary>The path whose one message says how many messages were left out: <c>"…": ["12 more errors"]</c>.</summary>
    public const string MoreKey = "…";

    public static IReadOnlyDictionary<string, string[]> Bound(IReadOnlyDictionary<string, string[]> errors)
    {
        var kept = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var more = 0;
        foreach (var (path, messages) in errors)
        {
            var key = Cut(path);
            if (!kept.TryGetValue(key, out var list))
            {
                if (kept.Count == MaxPaths)
                {
                    more += messages.Length;
                    continue;
                }

                kept[key] = list = [];
            }

            foreach (var message in messages)
            {
                if (list.Count == MaxMessagesPerPath)
                {
                    more++;
                }
                else
                {
                    list.Add(Cut(message));
                }
            }
        }

        var bounded = kept.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        if (more > 0)
        {
            bounded[MoreKey] = bounded.TryGetValue(MoreKey, out var own) ? [.. own.Take(MaxMessagesPerPath - 1), More(more)] : [More(more)];
        }

        return bounded;
    }

    private static string More(int count) => count == 1 ? "1 more error" : $"{count} more errors";

    // Cut on a character boundary, never between the halves of a surrogate pair, and say that it was cut.
    private static string Cut(string text)
    {
        if (text.Length <= MaxChars)
        {
            return text;
        }

        var end = char.IsHighSurrogate(text[MaxChars - 2]) ? MaxChars - 2 : MaxChars - 1;
        return string.Concat(text.AsSpan(0, end), "…");
    }
}
