using System.Text;

namespace EventService.Api.Infrastructure;

/// <summary>
/// Makes producer-controlled text (error paths name the producer's property names) safe to echo in JSON
/// and to store in jsonb: NUL and unpaired surrogates become U+FFFD.
/// </summary>
public static class TextSanitizer
{
    public static string Clean(string text)
    {
        if (IsClean(text))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else
            {
                builder.Append(c == '\0' || char.IsSurrogate(c) ? '\uFFFD' : c);
            }
        }

        return builder.ToString();
    }

    public static IReadOnlyDictionary<string, string[]> Clean(IReadOnlyDictionary<string, string[]> errors)
    {
        var clean = new Dictionary<string, string[]>(errors.Count, StringComparer.Ordinal);
        foreach (var (key, messages) in errors)
        {
            var k = Clean(key);
            clean[k] = clean.TryGetValue(k, out var existing)
                ? [.. existing, .. messages.Select(Clean)]
                : messages.Select(Clean).ToArray();
        }

        return clean;
    }

    private static bool IsClean(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0')
            {
                return false;
            }

            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return false;
                }

                i++;
            }
        }

        return true;
    }
}
