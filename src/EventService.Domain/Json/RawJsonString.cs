namespace EventService.Domain.Json;

internal enum StringProblem
{
    None,
    TooLong,
    Nul,
    InvalidUnicode,
}

/// <summary>
/// Checks a JSON string as it stands in the document (between the quotes, escapes not decoded) without allocating.
/// PostgreSQL's text and jsonb reject U+0000 and unpaired surrogates, and <c>JsonElement.GetString()</c> throws on the
/// latter, so both are found here before any string is materialised.
/// </summary>
internal static class RawJsonString
{
    /// <remarks>The document's reader has already validated UTF-8 and escape syntax, so neither is re-checked.</remarks>
    public static StringProblem Check(ReadOnlySpan<byte> raw, int maxLength)
    {
        var firstEscape = raw.IndexOf((byte)'\\');
        if (firstEscape < 0)
        {
            // UTF-16 length never exceeds the UTF-8 byte count.
            if (raw.Length <= maxLength)
            {
                return StringProblem.None;
            }

            return System.Text.Encoding.UTF8.GetCharCount(raw) > maxLength ? StringProblem.TooLong : StringProblem.None;
        }

        var units = 0L;
        var pendingHigh = false;
        var i = 0;
        while (i < raw.Length)
        {
            var b = raw[i];
            if (b != (byte)'\\')
            {
                if (pendingHigh)
                {
                    return StringProblem.InvalidUnicode;
                }

                units += b < 0x80 ? 1 : b >= 0xF0 ? 2 : b >= 0xC0 ? 1 : 0;
                i++;
                continue;
            }

            if (raw[i + 1] != (byte)'u')
            {
                if (pendingHigh)
                {
                    return StringProblem.InvalidUnicode;
                }

                units++;
                i += 2;
                continue;
            }

            var codeUnit = (Hex(raw[i + 2]) << 12) | (Hex(raw[i + 3]) << 8) | (Hex(raw[i + 4]) << 4) | Hex(raw[i + 5]);
            i += 6;
            units++;
            if (codeUnit == 0)
            {
                return StringProblem.Nul;
            }

            if (codeUnit is >= 0xD800 and <= 0xDBFF)
            {
                if (pendingHigh)
                {
                    return StringProblem.InvalidUnicode;
                }

                pendingHigh = true;
            }
            else if (codeUnit is >= 0xDC00 and <= 0xDFFF)
            {
                if (!pendingHigh)
                {
                    return StringProblem.InvalidUnicode;
                }

                pendingHigh = false;
            }
            else if (pendingHigh)
            {
                return StringProblem.InvalidUnicode;
            }
        }

        if (pendingHigh)
        {
            return StringProblem.InvalidUnicode;
        }

        return units > maxLength ? StringProblem.TooLong : StringProblem.None;
    }

    private static int Hex(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        _ => b - 'A' + 10,
    };
}
