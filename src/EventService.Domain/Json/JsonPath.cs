using System.Text.Encodings.Web;
using System.Text.Json;

namespace EventService.Domain.Json;

/// <summary>Builds the dotted field paths used as error keys: <c>detail.country.id</c>, <c>detail.tapcode[0].id</c>.</summary>
internal static class JsonPath
{
    /// <summary>The key of an error about the whole document.</summary>
    public const string Root = "$";

    public static string Property(string parent, string name)
    {
        if (IsPlain(name))
        {
            return parent.Length == 0 ? name : string.Concat(parent, ".", name);
        }

        // Names with dots, spaces or quotes would make the dotted form ambiguous.
        return string.Concat(parent, "[\"", JsonEncodedText.Encode(name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString(), "\"]");
    }

    public static string Index(string parent, int index) => string.Concat(parent, "[", index.ToString(System.Globalization.CultureInfo.InvariantCulture), "]");

    /// <summary>Turns a JSON Pointer into a path below <paramref name="prefix"/>, using <paramref name="root"/> to tell array indexes from names.</summary>
    public static string FromPointer(string prefix, string pointer, JsonElement root)
    {
        if (pointer.Length == 0)
        {
            return prefix;
        }

        var path = prefix;
        var current = root;
        foreach (var rawSegment in pointer.AsSpan(1).ToString().Split('/'))
        {
            var segment = rawSegment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Array
                && int.TryParse(segment, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index)
                && index < current.GetArrayLength())
            {
                path = Index(path, index);
                current = current[index];
            }
            else
            {
                path = Property(path, segment);
                current = current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var child) ? child : default;
            }
        }

        return path;
    }

    private static bool IsPlain(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
            {
                return false;
            }
        }

        return true;
    }
}
