using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace EventService.Domain.Json;

/// <summary>
/// The generic checks of one document that must hold before it is read or stored: nesting depth, string and name
/// length, NUL and unpaired surrogates in strings and names, numbers jsonb can hold, and a budget of counted
/// properties and array elements. Problems go to the caller's <see cref="FieldErrors"/>; a path string is built only for an error.
/// </summary>
/// <param name="countedScope">Where the counted properties and elements are, as the budget's error message names it.</param>
internal sealed class StorableJson(FieldErrors errors, int maxDepth, int maxStringLength, int maxCountedProperties, string countedScope)
{
    private const int MaxNumberLength = 100;
    private const int MaxNumberExponent = 308;

    private readonly List<Segment> _segments = [];
    private string _scanBase = "";
    private Counting _counting;
    private int _counted;
    private bool _countLimitReported;

    /// <summary>Checks an object about to be read field by field: false, reported, when it lies too deep to be read.</summary>
    public bool EnterObject(JsonElement value, string path, int depth)
    {
        if (depth > maxDepth)
        {
            errors.Add(path, DepthMessage());
            return false;
        }

        CheckNames(value, path);
        return true;
    }

    /// <summary>Reports unusable property names at the object's path (<c>""</c> is the root).</summary>
    public void CheckNames(JsonElement value, string path) => CheckNamesAt(value, path);

    /// <summary>Whether a name may be read; an unusable one was already reported at its object.</summary>
    public bool IsUsableName(JsonProperty property) =>
        RawJsonString.Check(JsonMarshal.GetRawUtf8PropertyName(property), maxStringLength) == StringProblem.None;

    /// <summary>Whether a string value may be materialised; if not, the problem is reported at <paramref name="path"/>.</summary>
    public bool CheckString(JsonElement value, LazyPath path)
    {
        var problem = CheckString(value);
        if (problem == StringProblem.None)
        {
            return true;
        }

        errors.Add(path.ToString(), StringMessage(problem));
        return false;
    }

    /// <summary>Walks a value that is stored as it came, <paramref name="depth"/> being its own nesting level.</summary>
    public void Scan(JsonElement value, string basePath, int depth)
    {
        _scanBase = basePath;
        _segments.Clear();
        ScanValue(value, depth);
    }

    public void ScanProperty(string parentPath, JsonProperty property, int depth)
    {
        _scanBase = parentPath;
        _segments.Clear();
        _segments.Add(new Segment(property, -1));
        ScanValue(property.Value, depth);
    }

    /// <summary>Like <see cref="Scan"/>, and counts every property and array element at every depth against the budget.</summary>
    public void ScanCounted(JsonElement value, string path, int depth)
    {
        _counting = Counting.AtBase;
        Scan(value, path, depth);
        _counting = Counting.None;
    }

    /// <summary>
    /// Like <see cref="ScanProperty"/>, and counts the property itself and everything inside it against the budget;
    /// an overrun is reported at the property's path.
    /// </summary>
    public void ScanCountedProperty(string parentPath, JsonProperty property, int depth)
    {
        _counting = Counting.AtFirstSegment;
        ScanProperty(parentPath, property, depth);
        CountOne(); // the property itself; the walk leaves it as the first segment
        _counting = Counting.None;
    }

    /// <summary>The first property or element beyond the budget is reported at what is being counted.</summary>
    private void CountOne()
    {
        if (++_counted <= maxCountedProperties || _countLimitReported)
        {
            return;
        }

        _countLimitReported = true;
        var key = _counting == Counting.AtBase ? _scanBase : JsonPath.Property(_scanBase, _segments[0].Property.Name);
        errors.Add(
            key,
            $"has too many properties and array elements: {countedScope} may hold at most {maxCountedProperties} together, counted at every depth");
    }

    private void ScanValue(JsonElement value, int depth)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth > maxDepth)
                {
                    errors.Add(ScanPath(), DepthMessage());
                    return;
                }

                CheckNamesAt(value, null);
                foreach (var property in value.EnumerateObject())
                {
                    if (_counting != Counting.None)
                    {
                        CountOne();
                    }

                    if (!IsUsableName(property))
                    {
                        continue;
                    }

                    _segments.Add(new Segment(property, -1));
                    ScanValue(property.Value, depth + 1);
                    _segments.RemoveAt(_segments.Count - 1);
                }

                break;
            case JsonValueKind.Array:
                if (depth > maxDepth)
                {
                    errors.Add(ScanPath(), DepthMessage());
                    return;
                }

                var index = 0;
                foreach (var element in value.EnumerateArray())
                {
                    if (_counting != Counting.None)
                    {
                        CountOne();
                    }

                    _segments.Add(new Segment(default, index++));
                    ScanValue(element, depth + 1);
                    _segments.RemoveAt(_segments.Count - 1);
                }

                break;
            case JsonValueKind.String:
                var problem = CheckString(value);
                if (problem != StringProblem.None)
                {
                    errors.Add(ScanPath(), StringMessage(problem));
                }

                break;
            case JsonValueKind.Number:
                if (!IsStorableNumber(JsonMarshal.GetRawUtf8Value(value)))
                {
                    errors.Add(ScanPath(), $"is out of range: a number may have at most {MaxNumberLength} characters and an exponent of at most {MaxNumberExponent}");
                }

                break;
        }
    }

    /// <summary>
    /// PostgreSQL's jsonb refuses numbers beyond its numeric range (1e200000 fails the whole batch), and JavaScript
    /// clients cannot read beyond a double's: a bounded length and exponent keep every stored number readable.
    /// </summary>
    private static bool IsStorableNumber(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > MaxNumberLength)
        {
            return false;
        }

        var e = raw.IndexOfAny((byte)'e', (byte)'E');
        if (e < 0)
        {
            return true;
        }

        var exponent = raw[(e + 1)..].TrimStart("+-"u8);
        return exponent.Length <= 4 && int.Parse(exponent, CultureInfo.InvariantCulture) <= MaxNumberExponent;
    }

    /// <summary><paramref name="path"/> null means the current scan position.</summary>
    private void CheckNamesAt(JsonElement value, string? path)
    {
        foreach (var property in value.EnumerateObject())
        {
            var problem = RawJsonString.Check(JsonMarshal.GetRawUtf8PropertyName(property), maxStringLength);
            if (problem != StringProblem.None)
            {
                errors.Add(ObjectPath(path), NameMessage(problem));
            }
        }
    }

    private StringProblem CheckString(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        return RawJsonString.Check(raw[1..^1], maxStringLength);
    }

    private string ScanPath()
    {
        var path = _scanBase;
        foreach (var segment in _segments)
        {
            path = segment.Index >= 0 ? JsonPath.Index(path, segment.Index) : JsonPath.Property(path, segment.Property.Name);
        }

        return path;
    }

    private string ObjectPath(string? path) => path switch
    {
        null => ScanPath() is { Length: > 0 } scanned ? scanned : JsonPath.Root,
        "" => JsonPath.Root,
        _ => path,
    };

    private string DepthMessage() => $"is nested too deeply: an event may nest objects and arrays at most {maxDepth} levels deep";

    private string StringMessage(StringProblem problem) => problem switch
    {
        StringProblem.Nul => "contains a NUL character (U+0000)",
        StringProblem.InvalidUnicode => "contains invalid Unicode (an unpaired surrogate)",
        _ => $"is longer than {maxStringLength} characters",
    };

    private string NameMessage(StringProblem problem) => problem switch
    {
        StringProblem.Nul => "has a property name that contains a NUL character (U+0000)",
        StringProblem.InvalidUnicode => "has a property name that contains invalid Unicode (an unpaired surrogate)",
        _ => $"has a property name longer than {maxStringLength} characters",
    };

    private readonly record struct Segment(JsonProperty Property, int Index);

    /// <summary>Whether the walk counts, and where an overrun is reported: the scan's base path, or its first property's.</summary>
    private enum Counting : byte
    {
        None,
        AtBase,
        AtFirstSegment,
    }
}
